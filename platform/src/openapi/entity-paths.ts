/**
 * The routes of one addressable entity under `/api/<path>`: CRUD, by business key, bulk, import,
 * export, aggregate, restore, the record's audit history, its PDF report and label and, for an entity
 * with a workflow, its actions and transition history.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { JsonSchema } from '../../../metadata/src/model/api-schema';
import {
  CSV,
  ID_PARAMETER,
  XLSX,
  errors,
  jsonBody,
  listOf,
  ok,
  param,
  pathParameter,
  queryParameter,
  ref,
  type PathItem,
} from './openapi-components';
import { HAVING_OPERATORS } from '../bi/aggregate-query';
import { LABEL_SYMBOLOGIES } from '../print/label-symbologies';
import { LIST_QUERY_PARAMETER_NAMES, type ListQueryParameter } from '../crud/list-query-parameters';

/** `work_order` → `WorkOrder`. */
export function schemaName(entity: string): string {
  return entity
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

const HEADERS = [param('TraceId'), param('TenantId')];
const READ_PARAMETERS = (['fields', 'expand', 'includeDeleted'] satisfies ListQueryParameter[]).map(param);

export function entityPaths(model: Model, entity: CompiledEntity): Record<string, PathItem> {
  const name = schemaName(entity.name);
  const base = `/api/${entity.path}`;
  const tags = [entity.name];
  const label = entity.label.en;
  const op = (operationId: string, summary: string, rest: Record<string, unknown>) => ({
    tags,
    operationId: `${operationId}`,
    summary,
    ...rest,
  });

  const item: PathItem = {
    get: op(`get${name}`, `Get a ${label} by id`, {
      parameters: [...HEADERS, ID_PARAMETER, ...READ_PARAMETERS],
      responses: { 200: ok('The record', ref(name)), ...errors(400, 403, 404) },
    }),
  };
  if (!entity.appendOnly) {
    item.patch = op(`update${name}`, `Update a ${label} (optimistic lock on version)`, {
      parameters: [...HEADERS, ID_PARAMETER],
      requestBody: jsonBody(ref(`${name}Patch`)),
      responses: { 200: ok('Updated', ref(name)), ...errors(400, 403, 404, 409, 422) },
    });
    item.delete = op(`delete${name}`, entity.softDelete ? `Soft-delete a ${label}` : `Delete a ${label}`, {
      parameters: [...HEADERS, ID_PARAMETER],
      responses: { 200: ok('Deleted', { type: 'null' }), ...errors(400, 403, 404, 409, 422) },
    });
  }

  const paths: Record<string, PathItem> = {
    [base]: {
      get: op(`list${name}`, `List ${entity.pluralLabel.en}`, {
        parameters: [...HEADERS, ...LIST_QUERY_PARAMETER_NAMES.map(param)],
        responses: { 200: ok('A page of records', listOf(ref(name))), ...errors(400, 403) },
      }),
      post: op(`create${name}`, `Create a ${label}`, {
        parameters: HEADERS,
        requestBody: jsonBody(ref(`${name}Create`)),
        responses: { 201: ok('Created', ref(name)), ...errors(400, 403, 409, 422) },
      }),
    },
    [`${base}/{id}`]: item,
    [`${base}/{id}/audit`]: {
      get: op(
        `audit${name}`,
        `Audit history of a ${label}, oldest first (fields the caller may not read left out)`,
        {
          parameters: [...HEADERS, ID_PARAMETER],
          responses: {
            200: ok('Audit entries', { type: 'array', items: ref('AuditEntry') }),
            ...errors(403, 404),
          },
        },
      ),
    },
    [`${base}/bulk`]: {
      post: op(
        `bulk${name}`,
        'Create, update, upsert or delete up to 10,000 rows in one transaction (delete rows: {id, version?})',
        {
          parameters: HEADERS,
          requestBody: jsonBody({
            type: 'object',
            required: ['mode', 'rows'],
            additionalProperties: false,
            properties: {
              mode: { enum: ['create', 'update', 'upsert', 'delete'] },
              rows: { type: 'array', maxItems: 10000, items: { type: 'object' } },
            },
          }),
          responses: { 200: ok('Every row written', ref('BulkResult')), ...errors(400, 403, 409, 422) },
        },
      ),
    },
    [`${base}/import`]: {
      post: op(
        `import${name}`,
        'Import rows from CSV or XLSX (header row = API names); dryRun reports row errors without writing',
        {
          parameters: [
            ...HEADERS,
            queryParameter('dryRun', { type: 'boolean', default: false }),
            queryParameter('mode', { enum: ['create', 'update', 'upsert'], default: 'create' }),
          ],
          requestBody: {
            required: true,
            content: {
              [CSV]: { schema: { type: 'string' } },
              [XLSX]: { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
          responses: {
            200: ok('Import report', ref('ImportReport')),
            ...errors(400, 403, 409, 413, 415, 422),
          },
        },
      ),
    },
    [`${base}/export`]: {
      get: op(`export${name}`, 'Stream every matching row as CSV or XLSX', {
        parameters: [
          ...HEADERS,
          queryParameter('format', { enum: ['csv', 'xlsx'], default: 'csv' }),
          ...(['filter', 'sort', 'fields', 'search', 'includeDeleted'] satisfies ListQueryParameter[]).map(
            param,
          ),
        ],
        responses: {
          200: {
            description: 'The file',
            content: {
              [CSV]: { schema: { type: 'string' } },
              [XLSX]: { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
          ...errors(400, 403),
        },
      }),
    },
    [`${base}/aggregate`]: { get: aggregateOperation(op, name, label) },
  };
  if (!entity.appendOnly && entity.softDelete) {
    paths[`${base}/{id}/restore`] = {
      post: op(`restore${name}`, `Restore a soft-deleted ${label}`, {
        parameters: [...HEADERS, ID_PARAMETER],
        responses: { 200: ok('Restored', ref(name)), ...errors(400, 403, 404, 422) },
      }),
    };
  }
  if (entity.businessKey) {
    paths[`${base}/by-code/{code}`] = {
      get: op(`get${name}ByCode`, `Get a ${label} by ${entity.businessKey}`, {
        parameters: [...HEADERS, pathParameter('code', { type: 'string' }), ...READ_PARAMETERS],
        responses: { 200: ok('The record', ref(name)), ...errors(400, 403, 404) },
      }),
    };
  }
  Object.assign(paths, recordFilePaths(entity, op, name, label));
  Object.assign(paths, recordPrintPaths(entity, op, name, label));
  const workflow = entity.workflow ? model.workflows.get(entity.workflow) : undefined;
  if (workflow) {
    const actions = workflow.transitions.map((t) => t.action);
    paths[`${base}/{id}/actions`] = {
      get: op(`actions${name}`, `Workflow actions the caller may take on a ${label} now`, {
        parameters: [...HEADERS, ID_PARAMETER],
        responses: {
          200: ok('Available actions', { type: 'array', items: ref('AvailableAction') }),
          ...errors(403, 404),
        },
      }),
    };
    paths[`${base}/{id}/actions/{action}`] = {
      post: op(
        `act${name}`,
        `Take a workflow action on a ${label} (workflow ${entity.workflow}); approvals and signatures as the transition declares`,
        {
          parameters: [
            ...HEADERS,
            ID_PARAMETER,
            pathParameter('action', { enum: [...new Set(actions)] }, 'Transition action'),
          ],
          requestBody: jsonBody(ref('ActionRequest'), false),
          responses: {
            201: ok('The transition applied, pending approval or rejected', ref(`${name}ActionResult`)),
            ...errors(400, 403, 404, 409, 422),
          },
        },
      ),
    };
    paths[`${base}/{id}/history`] = {
      get: op(`history${name}`, `Workflow transitions of a ${label}, oldest first`, {
        parameters: [...HEADERS, ID_PARAMETER],
        responses: {
          200: ok('Transitions', { type: 'array', items: ref('TransitionEntry') }),
          ...errors(403, 404),
        },
      }),
    };
  }
  return paths;
}

/**
 * The record printed: its PDF report for every entity, and a label (a bar code of the business key)
 * for an entity that has a business key; both read the record as `GET /{id}` does.
 */
function recordPrintPaths(
  entity: CompiledEntity,
  op: OperationFactory,
  name: string,
  label: string,
): Record<string, PathItem> {
  const base = `/api/${entity.path}/{id}`;
  const paths: Record<string, PathItem> = {
    [`${base}/report.pdf`]: {
      get: op(
        `report${name}`,
        `A ${label} as a printable PDF with its child tables and, when it has a business key, its QR code (read on the record)`,
        {
          parameters: [...HEADERS, ID_PARAMETER],
          responses: {
            200: {
              description: 'The PDF, inline, named `<path>-<id>.pdf`',
              content: { 'application/pdf': { schema: { type: 'string', contentEncoding: 'binary' } } },
            },
            ...errors(400, 403, 404),
          },
        },
      ),
    },
  };
  if (entity.businessKey)
    paths[`${base}/label`] = {
      get: op(
        `label${name}`,
        `A label of a ${label}: its ${entity.businessKey} as a bar code, for a label printer (read on the record)`,
        {
          parameters: [
            ...HEADERS,
            ID_PARAMETER,
            queryParameter(
              'symbology',
              { enum: Object.keys(LABEL_SYMBOLOGIES), default: 'qr' },
              'QR code, Code 128 (with the text under the bars) or Data Matrix',
            ),
          ],
          responses: {
            200: {
              description: 'The PNG, inline, cacheable privately for 5 minutes',
              content: { 'image/png': { schema: { type: 'string', contentEncoding: 'binary' } } },
            },
            ...errors(400, 403, 404),
          },
        },
      ),
    };
  return paths;
}

const itemsOf = (item: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: item } },
});

const ATTACHMENT_ID = pathParameter('attachmentId', { type: 'integer', minimum: 1 }, 'Attachment id');

const ATTACHMENT_INFO: JsonSchema = {
  type: 'object',
  required: ['id', 'fileName', 'contentType', 'fileSize', 'checksum', 'createdAt', 'author'],
  properties: {
    id: { type: 'integer' },
    fileName: { type: 'string' },
    contentType: { type: 'string' },
    fileSize: { type: 'integer' },
    checksum: { type: 'string', description: 'SHA-256 of the content, hex' },
    description: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    author: { $ref: '#/components/schemas/RecordAuthor' },
  },
};

const COMMENT_INFO: JsonSchema = {
  type: 'object',
  required: ['id', 'body', 'createdAt', 'author'],
  properties: {
    id: { type: 'integer' },
    body: { type: 'string' },
    createdAt: { type: 'string' },
    author: { $ref: '#/components/schemas/RecordAuthor' },
  },
};

/** The attachments and comment thread of a record, for an entity that declares them. */
function recordFilePaths(
  entity: CompiledEntity,
  op: OperationFactory,
  name: string,
  label: string,
): Record<string, PathItem> {
  const base = `/api/${entity.path}/{id}`;
  const paths: Record<string, PathItem> = {};
  if (entity.attachments) {
    const accept = entity.attachments.accept.length ? entity.attachments.accept.join(', ') : 'any type';
    paths[`${base}/attachments`] = {
      get: op(`attachments${name}`, `Files attached to a ${label}, newest first (read on the record)`, {
        parameters: [...HEADERS, ID_PARAMETER],
        responses: { 200: ok('The attachments', itemsOf(ATTACHMENT_INFO)), ...errors(400, 403, 404) },
      }),
      post: op(
        `attach${name}`,
        `Attach a file to a ${label} (update on the record; up to ${entity.attachments.maxSize} bytes, ${accept})`,
        {
          parameters: [...HEADERS, ID_PARAMETER],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: { type: 'string', contentEncoding: 'binary' },
                    description: { type: 'string', maxLength: 255 },
                  },
                },
              },
            },
          },
          responses: {
            201: ok('Attached', ATTACHMENT_INFO),
            ...errors(400, 403, 404, 413, 415, 422, 502, 503),
          },
        },
      ),
    };
    paths[`${base}/attachments/{attachmentId}`] = {
      get: op(`download${name}Attachment`, `Download a file attached to a ${label} (read on the record)`, {
        parameters: [...HEADERS, ID_PARAMETER, ATTACHMENT_ID],
        responses: {
          200: {
            description: 'The file, with its content type and name',
            content: {
              'application/octet-stream': { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
          ...errors(400, 403, 404, 502, 503),
        },
      }),
      delete: op(`delete${name}Attachment`, `Delete a file attached to a ${label} (update on the record)`, {
        parameters: [...HEADERS, ID_PARAMETER, ATTACHMENT_ID],
        responses: { 200: ok('Deleted', { type: 'null' }), ...errors(400, 403, 404, 502, 503) },
      }),
    };
  }
  if (entity.comments)
    paths[`${base}/comments`] = {
      get: op(`comments${name}`, `The comment thread of a ${label}, oldest first (read on the record)`, {
        parameters: [...HEADERS, ID_PARAMETER],
        responses: { 200: ok('The comments', itemsOf(COMMENT_INFO)), ...errors(400, 403, 404) },
      }),
      post: op(`comment${name}`, `Comment on a ${label} (read on the record)`, {
        parameters: [...HEADERS, ID_PARAMETER],
        requestBody: jsonBody({
          type: 'object',
          required: ['body'],
          additionalProperties: false,
          properties: { body: { type: 'string', minLength: 1, maxLength: 4000 } },
        }),
        responses: { 201: ok('The comment', COMMENT_INFO), ...errors(400, 403, 404, 422) },
      }),
    };
  return paths;
}

type OperationFactory = (
  id: string,
  summary: string,
  rest: Record<string, unknown>,
) => Record<string, unknown>;

function aggregateOperation(op: OperationFactory, name: string, label: string): Record<string, unknown> {
  return op(
    `aggregate${name}`,
    `Aggregate ${label} rows by groups, time buckets and measures (the list's filters and permissions apply)`,
    {
      parameters: [
        ...HEADERS,
        queryParameter(
          'groupBy',
          { type: 'string' },
          'Comma-separated API names or dot paths through relations (`line.lineCode`); `<date field>:hour|day|week|month` for a time bucket (weeks start on Monday and are labelled by that day)',
        ),
        queryParameter(
          'measures',
          { type: 'string', default: 'count' },
          '`count`, `countDistinct:<field>`, `sum|avg|min|max:<field>`, or `<measure>/<measure>` (a ratio, null when the denominator is 0); default `count`. Each result row names its values by these terms',
        ),
        {
          name: 'having',
          in: 'query',
          style: 'deepObject',
          explode: true,
          description: `\`having[<measure>][${HAVING_OPERATORS.join('|')}]=<number>\` keeps the groups whose measure compares so`,
          schema: { type: 'object', additionalProperties: true },
        },
        queryParameter(
          'sort',
          { type: 'string' },
          'Group terms or measures, `-` for descending; then the groups ascending',
        ),
        queryParameter('limit', { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }),
        queryParameter(
          'tz',
          { type: 'string', default: 'UTC' },
          'IANA time zone the time buckets are cut in (daylight saving included)',
        ),
        ...(['filter', 'search', 'includeDeleted'] satisfies ListQueryParameter[]).map(param),
      ],
      responses: { 200: ok('Groups with their measures', ref('AggregateResult')), ...errors(400, 403) },
    },
  );
}

/** What a workflow action answers for a record of the entity `name` (its schema name). */
export function actionResultSchema(name: string): JsonSchema {
  return {
    type: 'object',
    required: ['status', 'action', 'from', 'to', 'record'],
    properties: {
      status: { enum: ['APPLIED', 'PENDING_APPROVAL', 'REJECTED'] },
      action: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      record: { ...ref(name), description: 'The record after the action' },
      approvals: {
        type: 'object',
        required: ['approvals', 'required'],
        properties: { approvals: { type: 'integer' }, required: { type: 'integer' } },
      },
    },
  };
}

/** Schemas the entity routes share. */
export function entityRouteSchemas(): Record<string, JsonSchema> {
  const rowErrors = { type: 'array', items: ref('RowError') };
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
    BulkResult: {
      type: 'object',
      required: ['created', 'updated', 'deleted', 'errors', 'ids'],
      properties: {
        created: { type: 'integer' },
        updated: { type: 'integer' },
        deleted: { type: 'integer' },
        errors: rowErrors,
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
        errors: rowErrors,
      },
    },
    AuditEntry: {
      type: 'object',
      required: ['seq', 'actorId', 'action', 'occurredAt'],
      properties: {
        seq: { type: ['integer', 'null'], description: 'Chain position; null until sealed' },
        actorId: { type: 'string' },
        actorName: { type: ['string', 'null'] },
        action: { type: 'string' },
        transition: { type: ['string', 'null'] },
        changedFields: { type: ['array', 'null'], items: { type: 'string' } },
        diff: { description: 'Before/after values of the changed fields the caller may read' },
        reason: { type: ['string', 'null'] },
        ip: { type: ['string', 'null'] },
        userAgent: { type: ['string', 'null'] },
        traceId: { type: ['string', 'null'] },
        occurredAt: { type: 'string', format: 'date-time' },
      },
    },
    AvailableAction: {
      type: 'object',
      required: ['action', 'label', 'to', 'reasonRequired', 'signature', 'requiredFields', 'approvalVote'],
      properties: {
        action: { type: 'string' },
        label: { type: 'object', additionalProperties: { type: 'string' } },
        to: { type: 'string' },
        reasonRequired: { type: 'boolean' },
        signature: { type: 'boolean', description: 'The action needs the caller to re-enter the password' },
        requiredFields: { type: 'array', items: { type: 'string' } },
        approvalVote: { type: 'boolean', description: 'The call casts an approval vote' },
      },
    },
    ActionRequest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        reason: { type: 'string' },
        password: { type: 'string', description: 'Electronic signature: the caller re-enters the password' },
        comment: { type: 'string' },
        fields: { type: 'object', description: 'Values of the fields the transition requires' },
        version: { type: 'integer', description: 'Optimistic lock: the version the caller saw' },
        decision: { enum: ['approve', 'reject'], description: 'Approval vote' },
      },
    },
    RecordAuthor: {
      type: 'object',
      description: 'Who wrote an attachment or comment: user id and display name',
      required: ['id', 'name'],
      properties: { id: { type: ['integer', 'null'] }, name: { type: ['string', 'null'] } },
    },
    TransitionEntry: {
      type: 'object',
      required: [
        'id',
        'workflow',
        'workflowVersion',
        'action',
        'from',
        'to',
        'actor',
        'signed',
        'occurredAt',
      ],
      properties: {
        id: { type: 'integer' },
        workflow: { type: 'string' },
        workflowVersion: { type: 'integer' },
        action: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        actor: { type: 'string' },
        reason: { type: ['string', 'null'] },
        signed: { type: 'boolean' },
        approvalId: { type: ['integer', 'null'] },
        traceId: { type: ['string', 'null'] },
        occurredAt: { type: 'string', format: 'date-time' },
      },
    },
  };
}
