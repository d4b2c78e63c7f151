import type { CompiledEntity } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { ErrorCode } from '../contracts/envelope';
import type { FieldError, RowError } from './types';

export type { ErrorCode };

export interface ErrorDetails {
  /** Per-field failures (VALIDATION_FAILED, UNKNOWN_FIELD, DUPLICATE_VALUE). */
  errors?: FieldError[];
  /** Per-row failures (bulk). */
  rows?: RowError[];
  /** Optimistic lock: the version the row has now. */
  currentVersion?: number;
  /** The message in the languages metadata gives it (workflow guard messages, rule refusals). */
  i18n?: { en: string; zh?: string };
  /** Labels that name fields, states and actions in the localized texts; never sent as such. */
  labels?: ErrorLabels;
  [key: string]: unknown;
}

type Labels = Record<string, { en: string; zh?: string }>;

/** Labels of the names an error's field messages use: fields by API name, states and actions by code. */
export interface ErrorLabels {
  fields?: Labels;
  states?: Labels;
  actions?: Labels;
}

/**
 * Gives a failure of a write to `entity` the labels of the entity's fields (API name → label), so
 * its field messages name them by label in the caller's language. Labels already given are kept.
 */
export function labelFieldsOf(error: unknown, entity: CompiledEntity): unknown {
  if (!(error instanceof ApiError) || !error.details) return error;
  const { details } = error;
  if (!details.errors && !details.rows) return error;
  const fields: Labels = {};
  for (const field of entity.fields) fields[apiPropertyOf(field)] ??= field.label;
  details.labels = { ...details.labels, fields: { ...fields, ...details.labels?.fields } };
  return error;
}

/** Any failure the caller can fix. The server maps it to the envelope with `httpStatus`. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly httpStatus: number,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Body fails the entity's rules (types, required, limits, relation targets): 422. */
export class ValidationError extends ApiError {
  constructor(errors: FieldError[], message = 'Validation failed') {
    super('VALIDATION_FAILED', 422, message, { errors });
  }
}

/** Bulk request with bad rows: nothing was written. */
export class BulkValidationError extends ApiError {
  constructor(rows: RowError[]) {
    super('VALIDATION_FAILED', 422, `${rows.length} row(s) failed; nothing was written`, { rows });
  }
}

export class NotFoundError extends ApiError {
  constructor(entity: string, key: string | number) {
    super('NOT_FOUND', 404, `${entity} ${String(key)} not found`, { entity, key });
  }
}

/** Optimistic lock failure: the row changed since the caller read it. */
export class ConflictError extends ApiError {
  constructor(entity: string, id: number, currentVersion: number, sentVersion: unknown) {
    super(
      'CONFLICT',
      409,
      `${entity} ${id} was modified: version ${String(sentVersion)} is stale, current is ${currentVersion}`,
      { currentVersion },
    );
  }
}

/** One field of a violated unique rule, with the value sent when it is known. */
export interface DuplicateField {
  field: string;
  value?: unknown;
}

export class DuplicateValueError extends ApiError {
  constructor(fields: readonly DuplicateField[]) {
    const shown = fields.map(({ field, value }) =>
      value === undefined ? field : `${field} '${String(value)}'`,
    );
    const message =
      fields.length === 1
        ? `${shown[0]} already exists`
        : `the combination ${shown.join(', ')} already exists`;
    const names = fields.map(({ field }) => field);
    super('DUPLICATE_VALUE', 409, message, {
      errors: fields.map(({ field }) => ({
        field,
        path: `/${field}`,
        rule: 'unique',
        ...(fields.length > 1 ? { limit: names } : {}),
        message,
      })),
    });
  }
}

/** A name in filter/sort/fields/expand/body that the entity does not declare: 400. */
export class UnknownFieldError extends ApiError {
  constructor(field: string, where: string) {
    super('UNKNOWN_FIELD', 400, `Unknown field '${field}' in ${where}`, {
      errors: [{ field, path: `/${where}`, rule: 'unknown', message: `Unknown field '${field}'` }],
    });
  }
}

/** Malformed request (bad operator, bad cursor, page out of range…): 400. */
export class BadRequestError extends ApiError {
  constructor(message: string, details?: ErrorDetails) {
    super('BAD_REQUEST', 400, message, details);
  }
}

/** A rule of the domain refuses the operation (append-only entity, workflow guard…): 422. */
export class BusinessRuleError extends ApiError {
  constructor(message: string, details?: ErrorDetails) {
    super('BUSINESS_RULE', 422, message, details);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string, details?: ErrorDetails) {
    super('FORBIDDEN', 403, message, details);
  }
}
