/**
 * The few places where MySQL/MariaDB and SQLite SQL differ. Everything else the engine writes is
 * portable: `?` placeholders, `LIMIT ? OFFSET ?`, `LIKE ? ESCAPE '!'`.
 */
export type DialectName = 'mysql' | 'sqlite';

/** How an extension field's JSON value is read for comparison and sorting. */
export type JsonValueKind = 'text' | 'number' | 'boolean';

export interface UniqueViolation {
  /** Index name (MySQL) or null when the driver names columns instead. */
  index: string | null;
  /** Columns (SQLite) or empty when the driver names the index instead. */
  columns: string[];
  /** Offending value as the driver reports it (MySQL), or null. */
  value: string | null;
}

export interface Dialect {
  readonly name: DialectName;
  /** SQLite has one connection: transactions must run one at a time. */
  readonly serialTransactions: boolean;
  /**
   * `INSERT … RETURNING` (SQLite, MariaDB ≥ 10.5; not MySQL): the row as stored comes back with
   * the insert, so a create needs no read-back.
   */
  readonly insertReturning: boolean;
  quote(identifier: string): string;
  /** SQL reading `$.<key>` of a JSON column, typed for comparison and ORDER BY. */
  jsonValue(columnSql: string, key: string, kind: JsonValueKind): string;
  /** The auto-increment id a single-statement INSERT produced (from the raw driver result). */
  insertId(raw: unknown): number;
  uniqueViolation(error: unknown): UniqueViolation | null;
  /** A deadlock, lock-wait or schema-change error after which the statement or transaction may be retried. */
  isRetryable(error: unknown): boolean;
}

const JSON_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkedKey(key: string): string {
  if (!JSON_KEY.test(key)) throw new Error(`Invalid extension field key '${key}'`);
  return key;
}

function driverError(error: unknown): Record<string, unknown> {
  if (error && typeof error === 'object') {
    const wrapped = (error as { driverError?: unknown }).driverError;
    if (wrapped && typeof wrapped === 'object') return wrapped as Record<string, unknown>;
    return error as Record<string, unknown>;
  }
  return {};
}

export const mysqlDialect: Dialect = {
  name: 'mysql',
  serialTransactions: false,
  insertReturning: false,
  quote: (identifier) => `\`${identifier.replace(/`/g, '``')}\``,
  jsonValue(columnSql, key, kind) {
    const path = `'$.${checkedKey(key)}'`;
    if (kind === 'number') return `CAST(JSON_EXTRACT(${columnSql}, ${path}) AS DECIMAL(38,10))`;
    if (kind === 'boolean') {
      return `(CASE JSON_EXTRACT(${columnSql}, ${path}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)`;
    }
    return `JSON_UNQUOTE(JSON_EXTRACT(${columnSql}, ${path}))`;
  },
  insertId(raw) {
    return Number((raw as { insertId?: number | bigint }).insertId);
  },
  uniqueViolation(error) {
    const e = driverError(error);
    if (e.code !== 'ER_DUP_ENTRY') return null;
    const match = /Duplicate entry '(.*)' for key '([^']+)'/.exec(String(e.sqlMessage ?? e.message ?? ''));
    if (!match) return { index: null, columns: [], value: null };
    const index = match[2].includes('.') ? match[2].slice(match[2].lastIndexOf('.') + 1) : match[2];
    return { index, columns: [], value: match[1] };
  },
  isRetryable(error) {
    const code = driverError(error).code;
    // ER_TABLE_DEF_CHANGED: a runtime schema change (hot swap) raced the statement's snapshot.
    return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'ER_TABLE_DEF_CHANGED';
  },
};

/** MariaDB speaks MySQL's SQL; from 10.5 on it also returns inserted rows. */
export const mariadbReturningDialect: Dialect = { ...mysqlDialect, insertReturning: true };

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  serialTransactions: true,
  insertReturning: true,
  quote: (identifier) => `"${identifier.replace(/"/g, '""')}"`,
  jsonValue(columnSql, key, kind) {
    const extracted = `json_extract(${columnSql}, '$.${checkedKey(key)}')`;
    return kind === 'text' ? `CAST(${extracted} AS TEXT)` : extracted;
  },
  insertId(raw) {
    return Number(raw as number | bigint);
  },
  uniqueViolation(error) {
    const e = driverError(error);
    const message = String(e.message ?? '');
    if (e.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
    const match = /UNIQUE constraint failed: (.*)$/.exec(message);
    const columns = match ? match[1].split(',').map((c) => c.trim().split('.').pop() ?? '') : [];
    return { index: null, columns, value: null };
  },
  isRetryable(error) {
    return driverError(error).code === 'SQLITE_BUSY';
  },
};

/** `insertReturning`: what the connected server supports (TypeORM reads it from its version). */
export function dialectFor(type: string, insertReturning = false): Dialect {
  if (type === 'mysql' || type === 'mariadb') return insertReturning ? mariadbReturningDialect : mysqlDialect;
  if (type === 'better-sqlite3' || type === 'sqlite') return sqliteDialect;
  throw new Error(`Unsupported database type '${type}'`);
}
