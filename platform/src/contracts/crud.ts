/** Types of the record API (`/api/<path>`) the browser app reads; type-only, no runtime code. */

/** A record in API shape: camelCase keys, system columns beside the fields (crud/types.ts). */
export type EntityRecord = Record<string, unknown>;

/** One page of `GET /api/<path>`. */
export interface ListResult<T = EntityRecord> {
  items: T[];
  /** null when count=none (or when paging by cursor with count=none). */
  total: number | null;
  /** null when paging by cursor. */
  page: number | null;
  pageSize: number;
  /** Set when paging by cursor and another page exists. */
  nextCursor: string | null;
}

/** Why a field of a request was refused (`errors` of a 400 envelope). */
export interface FieldError {
  /** API field name (dot path for nested fields). */
  field: string;
  /** JSON pointer into the request body, e.g. `/results/2/value`. */
  path: string;
  /** The violated rule: required, type, maxLength, minimum, enum, pattern, readonly, unknown, exists, … */
  rule: string;
  limit?: unknown;
  message: string;
}

/** Why one row of a bulk request was refused. */
export interface RowError {
  /** 0-based index of the row in `BulkRequest.rows`. */
  row: number;
  code: string;
  message: string;
  errors: FieldError[];
}

/** `POST /api/<path>/import`: what a spreadsheet import wrote, or (dry run) would write; row numbers are the sheet's. */
export interface ImportReport {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  errors: RowError[];
}
