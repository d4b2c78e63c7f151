import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { apiPropertyOf, entityApiSchema, type JsonSchema } from '../../../metadata/src/model/api-schema';
import type { FieldError } from '../crud/types';
import { numericBounds } from '../../../metadata/src/model/numeric-bounds';

export type PayloadValidator = (body: unknown) => FieldError[];

/** One ajv instance per Model: its compiled functions live and die with that Model. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
  addFormats(ajv);
  return ajv;
}

/** Compiles the create or patch validator of an entity from its API JSON Schema. */
export function compilePayloadValidator(
  ajv: Ajv,
  model: Model,
  entity: string,
  mode: 'create' | 'patch',
  readonlyProperties: ReadonlySet<string>,
): PayloadValidator {
  const schema = entityApiSchema(model, entity, mode);
  const compiled = model.entities.get(entity);
  if (compiled) boundNumbers(model, compiled, schema);
  const validate: ValidateFunction = ajv.compile(schema);
  return (body) => {
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => toFieldError(error, readonlyProperties));
  };
}

/**
 * Adds the storable range of each numeric column (children included) to the payload schema, so a
 * number the column cannot hold is a field error rather than a database failure. Declared bounds
 * that are tighter stay in force.
 */
function boundNumbers(model: Model, entity: CompiledEntity, schema: JsonSchema): void {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const field of entity.fields) {
    const property = properties[apiPropertyOf(field)];
    if (!property) continue;
    const child = field.children && model.entities.get(field.children.target);
    if (child && typeof property.items === 'object' && property.items !== null)
      boundNumbers(model, child, property.items as JsonSchema);
    const bounds = numericBounds(field);
    if (bounds) tighten(property, bounds);
  }
}

function tighten(property: JsonSchema, bounds: Record<string, number>): void {
  for (const [keyword, limit] of Object.entries(bounds)) {
    const declared = property[keyword];
    const lower = keyword.endsWith('inimum');
    property[keyword] =
      typeof declared === 'number' ? (lower ? Math.max(declared, limit) : Math.min(declared, limit)) : limit;
  }
}

function toFieldError(error: ErrorObject, readonlyProperties: ReadonlySet<string>): FieldError {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const path = `${error.instancePath}/${String(params.missingProperty)}`;
    return { field: fieldOf(path), path, rule: 'required', message: `${fieldOf(path)} is required` };
  }
  if (error.keyword === 'additionalProperties') {
    const property = String(params.additionalProperty);
    const path = `${error.instancePath}/${property}`;
    const readonly = error.instancePath === '' && readonlyProperties.has(property);
    return {
      field: fieldOf(path),
      path,
      rule: readonly ? 'readonly' : 'unknown',
      message: readonly ? `${property} is read-only` : `Unknown field '${fieldOf(path)}'`,
    };
  }
  const limit = limitOf(error.keyword, params);
  const field = fieldOf(error.instancePath);
  return {
    field,
    path: error.instancePath,
    rule: error.keyword,
    ...(limit !== undefined ? { limit } : {}),
    message: `${field || 'body'} ${error.message ?? 'is invalid'}`,
  };
}

function limitOf(keyword: string, params: Record<string, unknown>): unknown {
  if ('limit' in params) return params.limit;
  if (keyword === 'enum') return params.allowedValues;
  if (keyword === 'type') return params.type;
  if (keyword === 'pattern') return params.pattern;
  if (keyword === 'format') return params.format;
  return undefined;
}

/** `/results/2/value` → `results.2.value`. */
function fieldOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}
