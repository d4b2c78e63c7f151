/**
 * Building blocks of the OpenAPI document: the response envelope, the error envelope and its
 * responses, the shared parameters (the list query parameters come from their one declaration) and
 * the helpers every operation is written with.
 */
import type { JsonSchema } from '../../../metadata/src/model/api-schema';
import { LIST_QUERY_PARAMETERS } from '../crud/list-query-parameters';

export type Operation = Record<string, unknown>;
export type PathItem = Record<string, Operation>;

/** Name of the bearer security scheme (a JWT from `POST /api/auth/login`). */
export const BEARER = 'bearer';

const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'DUPLICATE_VALUE',
  'UNKNOWN_FIELD',
  'BAD_REQUEST',
  'BUSINESS_RULE',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'TOKEN_STALE',
  'ACCOUNT_INACTIVE',
  'TOO_MANY_REQUESTS',
  'PLUGIN_FAILED',
  'PLUGIN_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'STORAGE_FAILED',
  'STORAGE_UNAVAILABLE',
  'METHOD_NOT_ALLOWED',
  'SERVICE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (BAD_REQUEST, UNKNOWN_FIELD, VALIDATION_FAILED of a parameter)',
  401: "No valid bearer token (UNAUTHORIZED); TOKEN_STALE: the caller's roles, grants or account changed since the token was issued — refresh it; ACCOUNT_INACTIVE: the account was disabled",
  403: 'Forbidden: the permission, field or data scope does not allow it (FORBIDDEN)',
  404: 'Not found (NOT_FOUND)',
  409: 'Conflict (CONFLICT with currentVersion, DUPLICATE_VALUE)',
  413: 'Body too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported content type (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Validation failed (VALIDATION_FAILED, BUSINESS_RULE)',
  429: 'Rate limit reached (TOO_MANY_REQUESTS); retry after the Retry-After header',
  502: 'A service the request needs answered with an error (PLUGIN_FAILED, STORAGE_FAILED)',
  503: 'Not ready or a dependency is down (SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE, STORAGE_UNAVAILABLE)',
  504: "A plugin's handler did not finish within its time limit (PLUGIN_TIMEOUT)",
};

export const CSV = 'text/csv';
export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const GZIP = 'application/gzip';

export const ref = (schema: string): JsonSchema => ({ $ref: `#/components/schemas/${schema}` });
export const param = (name: string): JsonSchema => ({ $ref: `#/components/parameters/${name}` });
export const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
export const ok = (description: string, data: JsonSchema) => ({ description, ...json(envelopeOf(data)) });
export const jsonBody = (schema: JsonSchema, required = true) => ({ required, ...json(schema) });

/** Error responses by status, pointing at the shared error responses. */
export function errors(...statuses: number[]): Record<string, JsonSchema> {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/Error${s}` }]));
}

export function pathParameter(name: string, schema: JsonSchema, description?: string): JsonSchema {
  return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
}

export function queryParameter(name: string, schema: JsonSchema, description?: string): JsonSchema {
  return { name, in: 'query', ...(description ? { description } : {}), schema };
}

export const ID_PARAMETER = pathParameter('id', { type: 'integer', minimum: 1 }, 'Record id');

/** The success envelope around `data`. */
export function envelopeOf(data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['code', 'message', 'data', 'timestamp', 'traceId'],
    properties: {
      code: { const: 'OK' },
      message: { type: 'string' },
      data,
      timestamp: { type: 'string', format: 'date-time' },
      traceId: { type: 'string' },
    },
  };
}

export function listOf(item: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'total', 'page', 'pageSize', 'nextCursor'],
    properties: {
      items: { type: 'array', items: item },
      total: { type: ['integer', 'null'] },
      page: { type: ['integer', 'null'] },
      pageSize: { type: 'integer' },
      nextCursor: { type: ['string', 'null'] },
    },
  };
}

export function sharedSchemas(): Record<string, JsonSchema> {
  const fieldErrors = { type: 'array', items: ref('FieldError') };
  return {
    FieldError: {
      type: 'object',
      required: ['field', 'path', 'rule', 'message'],
      properties: {
        field: { type: 'string', description: 'API field name (dot path for nested fields)' },
        path: { type: 'string', description: 'JSON pointer into the request' },
        rule: {
          type: 'string',
          description: 'required, type, maxLength, minimum, enum, pattern, unique, unknown, …',
        },
        limit: { description: 'The limit of the violated rule, when it has one' },
        message: { type: 'string' },
      },
    },
    RowError: {
      type: 'object',
      required: ['row', 'code', 'message', 'errors'],
      properties: {
        row: {
          type: 'integer',
          description: 'Bulk: 0-based row index; import: file row number (header = 1)',
        },
        code: { type: 'string' },
        message: { type: 'string' },
        errors: fieldErrors,
      },
    },
    Error: {
      type: 'object',
      description: 'The error envelope every failure answers with',
      required: ['code', 'message', 'timestamp', 'traceId'],
      properties: {
        code: { enum: ERROR_CODES },
        message: { type: 'string' },
        errors: fieldErrors,
        rows: { type: 'array', items: ref('RowError') },
        currentVersion: { type: 'integer', description: 'CONFLICT: the version the row has now' },
        timestamp: { type: 'string', format: 'date-time' },
        traceId: { type: 'string' },
      },
    },
  };
}

export function sharedParameters(): Record<string, JsonSchema> {
  const listParameters = Object.fromEntries(
    Object.entries(LIST_QUERY_PARAMETERS).map(([name, declaration]) => [
      name,
      {
        name,
        in: 'query',
        description: declaration.description,
        ...('style' in declaration ? { style: declaration.style, explode: true } : {}),
        schema: declaration.schema,
      },
    ]),
  );
  return {
    TraceId: {
      name: 'x-trace-id',
      in: 'header',
      description: 'Propagated trace id; generated when absent and always returned',
      schema: { type: 'string' },
    },
    TenantId: {
      name: 'x-tenant-id',
      in: 'header',
      description:
        'Tenant of a request without a token when authentication is off for development (MES_AUTH=off); a signed-in request takes its tenant from its token',
      schema: { type: 'string' },
    },
    ...listParameters,
  };
}

export function errorResponses(): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
      `Error${status}`,
      { description, ...json(ref('Error')) },
    ]),
  );
}
