/**
 * OpenAPI 3.1 document of the live Model: every addressable entity's routes under /api/<path>, its
 * payload schemas (extension fields included, from the same api-schema the validators use), the
 * envelope and the error schemas. Rebuilt per Model, so a hot swap shows up without a restart.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { entityApiSchema, type JsonSchema } from '../../../metadata/src/model/api-schema';

type Operation = Record<string, unknown>;
type PathItem = Record<string, Operation>;

const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'DUPLICATE_VALUE',
  'UNKNOWN_FIELD',
  'BAD_REQUEST',
  'BUSINESS_RULE',
  'FORBIDDEN',
  'PLUGIN_FAILED',
  'PLUGIN_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_ALLOWED',
  'SERVICE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function buildOpenApiDocument(model: Model): JsonSchema {
  const entities = [...model.entities.values()]
    .filter((e) => !e.owned)
    .sort((a, b) => a.name.localeCompare(b.name));
  const schemas: Record<string, JsonSchema> = { ...sharedSchemas() };
  const paths: Record<string, PathItem> = { ...metaPaths() };
  for (const entity of entities) {
    const name = schemaName(entity.name);
    schemas[name] = entityApiSchema(model, entity.name, 'response');
    schemas[`${name}Create`] = entityApiSchema(model, entity.name, 'create');
    schemas[`${name}Patch`] = entityApiSchema(model, entity.name, 'patch');
    Object.assign(paths, entityPaths(entity, name));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'BTC MES API',
      version: `model-${model.version}-${model.hash}`,
      description:
        'Generated from the live metadata Model. Every response is an envelope {code, message, data, timestamp, traceId}; ' +
        "code is 'OK' on success and a stable error code otherwise. Send X-Tenant-ID to choose the tenant (default DEMO).",
    },
    servers: [{ url: '/' }],
    tags: entities.map((e) => ({ name: e.name, description: e.label.en })),
    paths,
    components: { schemas, parameters: sharedParameters(), responses: errorResponses() },
  };
}

/** `work_order` → `WorkOrder`. */
export function schemaName(entity: string): string {
  return entity
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function entityPaths(entity: CompiledEntity, name: string): Record<string, PathItem> {
  const base = `/api/${entity.path}`;
  const tags = [entity.name];
  const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
  const param = (p: string) => ({ $ref: `#/components/parameters/${p}` });
  const headers = [param('TraceId'), param('TenantId')];
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
  const readParams = [param('fields'), param('expand'), param('includeDeleted')];
  const listParams = [
    'page',
    'pageSize',
    'cursor',
    'filter',
    'sort',
    'fields',
    'expand',
    'search',
    'count',
    'includeDeleted',
  ].map(param);
  const errors = (...statuses: number[]) =>
    Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/Error${s}` }]));
  const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
  const ok = (description: string, data: JsonSchema) => ({ description, ...json(envelopeOf(data)) });
  const label = entity.label.en;

  const paths: Record<string, PathItem> = {
    [base]: {
      get: {
        tags,
        operationId: `list${name}`,
        summary: `List ${entity.pluralLabel.en}`,
        parameters: [...headers, ...listParams],
        responses: { 200: ok('A page of records', listOf(ref(name))), ...errors(400) },
      },
      post: {
        tags,
        operationId: `create${name}`,
        summary: `Create a ${label}`,
        parameters: headers,
        requestBody: { required: true, ...json(ref(`${name}Create`)) },
        responses: { 201: ok('Created', ref(name)), ...errors(400, 409, 422) },
      },
    },
    [`${base}/{id}`]: {
      get: {
        tags,
        operationId: `get${name}`,
        summary: `Get a ${label} by id`,
        parameters: [...headers, idParam, ...readParams],
        responses: { 200: ok('The record', ref(name)), ...errors(400, 404) },
      },
      patch: {
        tags,
        operationId: `update${name}`,
        summary: `Update a ${label} (optimistic lock on version)`,
        parameters: [...headers, idParam],
        requestBody: { required: true, ...json(ref(`${name}Patch`)) },
        responses: { 200: ok('Updated', ref(name)), ...errors(400, 404, 409, 422) },
      },
      delete: {
        tags,
        operationId: `delete${name}`,
        summary: entity.softDelete ? `Soft-delete a ${label}` : `Delete a ${label}`,
        parameters: [...headers, idParam],
        responses: { 200: ok('Deleted', { type: 'null' }), ...errors(400, 404, 422) },
      },
    },
    [`${base}/{id}/restore`]: {
      post: {
        tags,
        operationId: `restore${name}`,
        summary: `Restore a soft-deleted ${label}`,
        parameters: [...headers, idParam],
        responses: { 200: ok('Restored', ref(name)), ...errors(400, 404, 422) },
      },
    },
    [`${base}/bulk`]: {
      post: {
        tags,
        operationId: `bulk${name}`,
        summary:
          'Create, update, upsert or delete up to 10,000 rows in one transaction (delete rows: {id, version?})',
        parameters: headers,
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['mode', 'rows'],
            additionalProperties: false,
            properties: {
              mode: { enum: ['create', 'update', 'upsert', 'delete'] },
              rows: { type: 'array', maxItems: 10000, items: { type: 'object' } },
            },
          }),
        },
        responses: { 200: ok('Every row written', ref('BulkResult')), ...errors(400, 409, 422) },
      },
    },
    [`${base}/import`]: {
      post: {
        tags,
        operationId: `import${name}`,
        summary:
          'Import rows from CSV or XLSX (header row = API names); dryRun reports row errors without writing',
        parameters: [
          ...headers,
          { name: 'dryRun', in: 'query', schema: { type: 'boolean', default: false } },
          { name: 'mode', in: 'query', schema: { enum: ['create', 'update', 'upsert'], default: 'create' } },
        ],
        requestBody: {
          required: true,
          content: {
            [CSV]: { schema: { type: 'string' } },
            [XLSX]: { schema: { type: 'string', contentEncoding: 'binary' } },
          },
        },
        responses: { 200: ok('Import report', ref('ImportReport')), ...errors(400, 409, 413, 415, 422) },
      },
    },
    [`${base}/export`]: {
      get: {
        tags,
        operationId: `export${name}`,
        summary: 'Stream every matching row as CSV or XLSX',
        parameters: [
          ...headers,
          { name: 'format', in: 'query', schema: { enum: ['csv', 'xlsx'], default: 'csv' } },
          ...['filter', 'sort', 'fields', 'search', 'includeDeleted'].map(param),
        ],
        responses: {
          200: {
            description: 'The file',
            content: {
              [CSV]: { schema: { type: 'string' } },
              [XLSX]: { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
          ...errors(400),
        },
      },
    },
  };
  paths[`${base}/aggregate`] = {
    get: {
      tags,
      operationId: `aggregate${name}`,
      summary: `Aggregate ${label} rows by groups, time buckets and measures (the list's filters and permissions apply)`,
      parameters: [
        ...headers,
        {
          name: 'groupBy',
          in: 'query',
          description:
            'Comma-separated API names or dot paths through relations (`line.lineCode`); `<date field>:hour|day|week|month` for a time bucket (weeks start on Monday and are labelled by that day)',
          schema: { type: 'string' },
        },
        {
          name: 'measures',
          in: 'query',
          description:
            '`count`, `countDistinct:<field>`, `sum|avg|min|max:<field>`, or `<measure>/<measure>` (a ratio, null when the denominator is 0); default `count`. Each result row names its values by these terms',
          schema: { type: 'string', default: 'count' },
        },
        {
          name: 'having',
          in: 'query',
          style: 'deepObject',
          description:
            '`having[<measure>][eq|ne|gt|gte|lt|lte]=<number>` keeps the groups whose measure compares so',
          schema: { type: 'object' },
        },
        {
          name: 'sort',
          in: 'query',
          description: 'Group terms or measures, `-` for descending; then the groups ascending',
          schema: { type: 'string' },
        },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
        },
        {
          name: 'tz',
          in: 'query',
          description: 'IANA time zone the time buckets are cut in (daylight saving included)',
          schema: { type: 'string', default: 'UTC' },
        },
        ...['filter', 'search', 'includeDeleted'].map(param),
      ],
      responses: { 200: ok('Groups with their measures', ref('AggregateResult')), ...errors(400, 403) },
    },
  };
  // Append-only rows are never changed or deleted; rows without soft delete cannot be restored.
  if (entity.appendOnly) {
    delete paths[`${base}/{id}`].patch;
    delete paths[`${base}/{id}`].delete;
  }
  if (entity.appendOnly || !entity.softDelete) delete paths[`${base}/{id}/restore`];
  if (entity.businessKey) {
    paths[`${base}/by-code/{code}`] = {
      get: {
        tags,
        operationId: `get${name}ByCode`,
        summary: `Get a ${label} by ${entity.businessKey}`,
        parameters: [
          ...headers,
          { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
          ...readParams,
        ],
        responses: { 200: ok('The record', ref(name)), ...errors(400, 404) },
      },
    };
  }
  return paths;
}

function metaPaths(): Record<string, PathItem> {
  const any = { type: 'object' };
  return {
    '/api/meta/entities': {
      get: {
        tags: ['meta'],
        operationId: 'listEntityMeta',
        summary: 'Entities of the live Model',
        responses: {
          200: {
            description: 'Entity summaries',
            content: { 'application/json': { schema: envelopeOf(any) } },
          },
        },
      },
    },
    '/api/meta/entities/{entity}': {
      get: {
        tags: ['meta'],
        operationId: 'getEntityMeta',
        summary: 'Fields, list, form and workflow of one entity',
        parameters: [{ name: 'entity', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: {
            description: 'Entity metadata',
            content: { 'application/json': { schema: envelopeOf(any) } },
          },
          404: { $ref: '#/components/responses/Error404' },
        },
      },
    },
  };
}

function envelopeOf(data: JsonSchema): JsonSchema {
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

function listOf(item: JsonSchema): JsonSchema {
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

function sharedSchemas(): Record<string, JsonSchema> {
  return {
    AggregateResult: {
      type: 'object',
      required: ['groupBy', 'measures', 'timeZone', 'rows'],
      properties: {
        groupBy: { type: 'array', items: { type: 'string' } },
        measures: { type: 'array', items: { type: 'string' } },
        timeZone: { type: 'string' },
        rows: {
          type: 'array',
          description: 'One object per group: each groupBy term and each measure as a property',
          items: { type: 'object' },
        },
      },
    },
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
        errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } },
      },
    },
    Error: {
      type: 'object',
      required: ['code', 'message', 'timestamp', 'traceId'],
      properties: {
        code: { enum: ERROR_CODES },
        message: { type: 'string' },
        errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } },
        rows: { type: 'array', items: { $ref: '#/components/schemas/RowError' } },
        currentVersion: { type: 'integer', description: 'CONFLICT: the version the row has now' },
        timestamp: { type: 'string', format: 'date-time' },
        traceId: { type: 'string' },
      },
    },
    BulkResult: {
      type: 'object',
      required: ['created', 'updated', 'deleted', 'errors', 'ids'],
      properties: {
        created: { type: 'integer' },
        updated: { type: 'integer' },
        deleted: { type: 'integer' },
        errors: { type: 'array', items: { $ref: '#/components/schemas/RowError' } },
        ids: { type: 'array', items: { type: 'integer' } },
      },
    },
    ImportReport: {
      type: 'object',
      required: ['dryRun', 'rows', 'created', 'updated', 'errors'],
      properties: {
        dryRun: { type: 'boolean' },
        rows: { type: 'integer' },
        created: { type: 'integer' },
        updated: { type: 'integer' },
        errors: { type: 'array', items: { $ref: '#/components/schemas/RowError' } },
      },
    },
  };
}

function sharedParameters(): Record<string, JsonSchema> {
  const query = (name: string, description: string, schema: JsonSchema) => ({
    name,
    in: 'query',
    description,
    schema,
  });
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
    page: query('page', '1-based page (offset paging)', { type: 'integer', minimum: 1 }),
    pageSize: query('pageSize', 'Rows per page', { type: 'integer', minimum: 1, maximum: 500, default: 20 }),
    cursor: query('cursor', "Keyset cursor from nextCursor; '' for the first keyset page", {
      type: 'string',
    }),
    filter: {
      name: 'filter',
      in: 'query',
      style: 'deepObject',
      explode: true,
      description:
        'filter[field][op]=value with eq, ne, gt, gte, lt, lte, in, nin, contains, startsWith, between, null, notNull; dot paths through relations',
      schema: { type: 'object', additionalProperties: true },
    },
    sort: query('sort', 'Comma-separated API names, `-` for descending', { type: 'string' }),
    fields: query('fields', 'Comma-separated API names or relation dot paths', { type: 'string' }),
    expand: query('expand', 'Comma-separated relation, many and children fields to expand', {
      type: 'string',
    }),
    search: query('search', 'Text over the declared search fields', { type: 'string' }),
    count: query('count', 'How total is computed', {
      enum: ['exact', 'estimated', 'none'],
      default: 'exact',
    }),
    includeDeleted: query('includeDeleted', 'Include soft-deleted rows', { type: 'boolean', default: false }),
  };
}

function errorResponses(): Record<string, JsonSchema> {
  const descriptions: Record<number, string> = {
    400: 'Bad request (BAD_REQUEST, UNKNOWN_FIELD)',
    403: 'Forbidden: the permission, field or data scope does not allow it (FORBIDDEN)',
    404: 'Not found (NOT_FOUND)',
    409: 'Conflict (CONFLICT with currentVersion, DUPLICATE_VALUE)',
    413: 'Body too large (PAYLOAD_TOO_LARGE)',
    415: 'Unsupported content type (UNSUPPORTED_MEDIA_TYPE)',
    422: 'Validation failed (VALIDATION_FAILED, BUSINESS_RULE)',
  };
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      `Error${status}`,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
}
