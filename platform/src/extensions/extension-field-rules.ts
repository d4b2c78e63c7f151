import Ajv, { type ErrorObject } from 'ajv';
import type { FieldError } from '../crud/types';

/** Field types an extension field may have: scalar values that live in the row's ext JSON. */
export const EXTENSION_FIELD_TYPES = [
  'string',
  'text',
  'integer',
  'decimal',
  'boolean',
  'date',
  'datetime',
  'enum',
];

export const EXTENSION_FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const label = {
  type: 'object',
  properties: { en: { type: 'string', minLength: 1 }, zh: { type: 'string', minLength: 1 } },
  required: ['en'],
  additionalProperties: false,
};

/** The request body of `POST /api/admin/extensions/<entity>/fields`. */
const FIELD_SCHEMA = {
  type: 'object',
  required: ['name', 'type', 'label'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: EXTENSION_FIELD_NAME.source },
    type: { enum: EXTENSION_FIELD_TYPES },
    label,
    required: { type: 'boolean' },
    length: { type: 'integer', minimum: 1, maximum: 4000 },
    maxLength: { type: 'integer', minimum: 1, maximum: 65535 },
    pattern: { type: 'string', minLength: 1, maxLength: 500 },
    min: { type: 'number' },
    max: { type: 'number' },
    precision: { type: 'integer', minimum: 1, maximum: 38 },
    scale: { type: 'integer', minimum: 0, maximum: 18 },
    values: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true },
    default: { type: ['string', 'number', 'boolean'] },
  },
  allOf: [{ if: { properties: { type: { const: 'enum' } } }, then: { required: ['values'] } }],
};

const validateField = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(FIELD_SCHEMA);

/** Field errors of a body, as the API reports them (field, JSON pointer, rule, message). */
export function extensionFieldErrors(body: unknown): FieldError[] {
  if (validateField(body)) return [];
  return (validateField.errors ?? []).map(toFieldError);
}

function toFieldError(error: ErrorObject): FieldError {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  const unknown =
    error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : '';
  const path = `${error.instancePath}${missing}${unknown}` || '/';
  return {
    field: path.slice(1).replace(/\//g, '.') || 'body',
    path,
    rule: error.keyword === 'additionalProperties' ? 'unknown' : error.keyword,
    message: error.message ?? error.keyword,
  };
}
