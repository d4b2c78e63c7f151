import type { CompiledEntity, CompiledField, CompiledIdentifier, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { ValidationError } from '../crud/errors';
import { resolveLeaf } from './field-paths';
import type { SqlExecutor } from './database';
import { SqlExpression, type DbRow } from './row-store';

/** Table of every identifier sequence; created by database/migrations/1764000000000-platform-tables. */
export const SEQUENCE_TABLE = 'sys_sequence';

/** What a pattern's `{field}` / `{relation.field}` tokens read from the row being created. */
export type RowValues = Readonly<Record<string, unknown>>;

/** Related rows the caller has already read in this transaction: entity name → id → columns. */
export type KnownRows = ReadonlyMap<string, ReadonlyMap<number, DbRow>>;

/** A `{relation.field}` token resolved: the relation on the created entity, its target and column. */
interface RelatedToken {
  relation: CompiledField;
  target: CompiledEntity;
  column: string;
}

function relatedToken(model: Model, entity: CompiledEntity, path: string): RelatedToken {
  const [head, ...rest] = path.split('.');
  const relation = entity.fieldsByName.get(head);
  const target = relation?.relation ? model.entities.get(relation.relation.target) : undefined;
  const leafField = target?.fieldsByName.get(rest.join('.'));
  const leaf = target && leafField ? resolveLeaf(target, leafField.apiName) : null;
  if (!relation || !target || !leaf || leaf.storage !== 'column') {
    throw new Error(`Identifier token {${path}} of ${entity.name} does not resolve to a column`);
  }
  return { relation, target, column: leaf.name };
}

/** A compiled entity never changes (a new Model compiles new ones), so its answer can be kept. */
const identifierColumnsCache = new WeakMap<CompiledEntity, ReadonlyMap<string, string[]>>();

/**
 * The related columns an entity's identifier reads (`WO-{line.line_code}-…` → production_line:
 * line_code), so a reference check can fetch them with the ids it verifies.
 */
export function identifierColumns(model: Model, entity: CompiledEntity): ReadonlyMap<string, string[]> {
  const cached = identifierColumnsCache.get(entity);
  if (cached) return cached;
  const columns = new Map<string, string[]>();
  for (const token of entity.identifier?.tokens ?? []) {
    if (token.kind !== 'field' || !token.value.includes('.')) continue;
    const { target, column } = relatedToken(model, entity, token.value);
    const list = columns.get(target.name) ?? [];
    if (!list.includes(column)) list.push(column);
    columns.set(target.name, list);
  }
  identifierColumnsCache.set(entity, columns);
  return columns;
}

/**
 * Identifier generation for every entity. The scope key is tenant + entity + every token before
 * `{seq}` rendered, so `LOT-{YYYYMMDD}-{seq:3}` counts per day and `WO-{line.code}-{seq:4}` per line.
 * Values are taken inside the creating transaction: the sequence row stays locked until commit, so
 * concurrent creates get distinct values and a rolled-back create leaves no gap.
 */
export class SequenceService {
  constructor(
    private readonly model: Model,
    private readonly known: KnownRows = new Map(),
  ) {}

  /**
   * Renders identifiers for `rows` (API-shaped: `lineId`, `line`…), allocating one block per scope.
   * `now` fixes the date tokens for the whole call.
   */
  async generate(
    tx: SqlExecutor,
    entity: CompiledEntity,
    tenantId: string,
    rows: readonly RowValues[],
    now: Date = new Date(),
  ): Promise<string[]> {
    const identifier = entity.identifier;
    if (!identifier) throw new Error(`${entity.name} has no identifier`);
    const rendered = await Promise.all(
      rows.map((row) => this.renderTokens(tx, entity, identifier, tenantId, row, now)),
    );
    const byScope = new Map<string, number[]>();
    rendered.forEach((r, index) => {
      const key = scopeKey(tenantId, entity, r.prefix);
      byScope.set(key, [...(byScope.get(key) ?? []), index]);
    });
    const values = new Array<string>(rows.length);
    for (const [scope, indexes] of byScope) {
      const last = await nextValue(tx, scope, indexes.length);
      indexes.forEach((rowIndex, i) => {
        const seq = String(last - indexes.length + 1 + i).padStart(identifier.seqWidth, '0');
        values[rowIndex] = rendered[rowIndex].prefix + seq + rendered[rowIndex].suffix;
      });
    }
    return values;
  }

  /**
   * One row's identifier numbered by the database as the row is inserted, saving the round trip
   * of `generate`: the sequence's increment waits (`executeLater`) and travels with the row's
   * INSERT, whose identifier column is this expression over the `LAST_INSERT_ID` the increment
   * set. So the INSERT must be `tx`'s next statement, and the identifier is known from the row the
   * INSERT returns. Null where `tx` cannot carry it (not a MySQL transaction): use `generate`.
   */
  async generateInInsert(
    tx: SqlExecutor,
    entity: CompiledEntity,
    tenantId: string,
    row: RowValues,
    now: Date = new Date(),
  ): Promise<SqlExpression | null> {
    const identifier = entity.identifier;
    if (!identifier) throw new Error(`${entity.name} has no identifier`);
    if (tx.dialect.name !== 'mysql' || !tx.inTransaction) return null;
    const { prefix, suffix } = await this.renderTokens(tx, entity, identifier, tenantId, row, now);
    await tx.executeLater(nextValueSql(tx), [scopeKey(tenantId, entity, prefix), 1, 1]);
    // Padded to the width without cutting a longer number, as `generate` pads.
    return new SqlExpression(
      "CONCAT(?, LPAD(LAST_INSERT_ID(), GREATEST(?, CHAR_LENGTH(LAST_INSERT_ID())), '0'), ?)",
      [prefix, identifier.seqWidth, suffix],
    );
  }

  private async renderTokens(
    tx: SqlExecutor,
    entity: CompiledEntity,
    identifier: CompiledIdentifier,
    tenantId: string,
    row: RowValues,
    now: Date,
  ): Promise<{ prefix: string; suffix: string }> {
    let prefix = '';
    let suffix = '';
    let afterSeq = false;
    for (const token of identifier.tokens) {
      if (token.kind === 'seq') {
        afterSeq = true;
        continue;
      }
      const text =
        token.kind === 'literal'
          ? token.value
          : token.kind === 'date'
            ? formatDate(now, token.value)
            : token.kind === 'tenant'
              ? tenantId
              : await this.fieldToken(tx, entity, tenantId, token.value, row);
      if (text === '') throw missingTokenValue(entity, identifier, token.value);
      if (afterSeq) suffix += text;
      else prefix += text;
    }
    return { prefix, suffix };
  }

  /**
   * `{line}` reads the row's value; `{line.line_code}` the related row in the same tenant, unless
   * the caller already read it.
   */
  private async fieldToken(
    tx: SqlExecutor,
    entity: CompiledEntity,
    tenantId: string,
    path: string,
    row: RowValues,
  ): Promise<string> {
    if (!path.includes('.')) {
      const field = entity.fieldsByName.get(path);
      if (!field) throw new Error(`Identifier token {${path}} names no field of ${entity.name}`);
      return String(row[apiPropertyOf(field)] ?? '');
    }
    const { relation, target, column } = relatedToken(this.model, entity, path);
    const id = row[apiPropertyOf(relation)];
    const known = this.known.get(target.name)?.get(Number(id));
    if (known && column in known) return String(known[column] ?? '');
    const q = tx.dialect.quote;
    const tenantCondition = target.tenantScoped ? ` AND ${q('tenant_id')} = ?` : '';
    const rows = await tx.query<{ v: unknown }>(
      `SELECT ${q(column)} AS v FROM ${q(target.table)} WHERE ${q('id')} = ?${tenantCondition}`,
      target.tenantScoped ? [id, tenantId] : [id],
    );
    return String(rows[0]?.v ?? '');
  }
}

/** The sequence an identifier counts in: tenant + entity + its tokens before `{seq}` rendered. */
function scopeKey(tenantId: string, entity: CompiledEntity, prefix: string): string {
  return `${tenantId}:${entity.name}:${prefix}`;
}

/** `WO-{line.line_code}-{seq:4}` without a line would number `WO--0001`: refuse it, naming the field. */
function missingTokenValue(
  entity: CompiledEntity,
  identifier: CompiledIdentifier,
  path: string,
): ValidationError {
  const head = entity.fieldsByName.get(path.split('.')[0]!);
  const property = head ? apiPropertyOf(head) : path;
  return new ValidationError([
    {
      field: property,
      path: `/${property}`,
      rule: 'required',
      limit: identifier.pattern,
      message: `${property} is required: the identifier ${identifier.field} (${identifier.pattern}) is made from it`,
    },
  ]);
}

/** Advances a sequence by `count` and returns its new value, creating it at `count` when new. */
export async function nextValue(tx: SqlExecutor, scope: string, count = 1): Promise<number> {
  const q = tx.dialect.quote;
  const table = q(SEQUENCE_TABLE);
  if (tx.dialect.name === 'mysql') {
    // LAST_INSERT_ID(expr) puts the new value into the OK packet's insert id: one round trip.
    const result = await tx.execute(nextValueSql(tx), [scope, count, count]);
    return result.insertId;
  }
  const rows = await tx.query<{ v: number }>(
    `INSERT INTO ${table} (${q('seq_name')}, ${q('current_value')}) VALUES (?, ?) ` +
      `ON CONFLICT(${q('seq_name')}) DO UPDATE SET ${q('current_value')} = ${q('current_value')} + ? ` +
      `RETURNING ${q('current_value')} AS v`,
    [scope, count, count],
  );
  return Number(rows[0].v);
}

/**
 * MySQL: advances the sequence named by the first value by the third (created at the second),
 * leaving its new value in `LAST_INSERT_ID()`.
 */
function nextValueSql(tx: SqlExecutor): string {
  const q = tx.dialect.quote;
  return (
    `INSERT INTO ${q(SEQUENCE_TABLE)} (${q('seq_name')}, ${q('current_value')}) VALUES (?, LAST_INSERT_ID(?)) ` +
    `ON DUPLICATE KEY UPDATE ${q('current_value')} = LAST_INSERT_ID(${q('current_value')} + ?)`
  );
}

/** A sequence's value as committed, 0 before its first `nextValue`. */
export async function currentValue(db: SqlExecutor, scope: string): Promise<number> {
  const q = db.dialect.quote;
  const [row] = await db.query<{ v: number | string }>(
    `SELECT ${q('current_value')} AS v FROM ${q(SEQUENCE_TABLE)} WHERE ${q('seq_name')} = ?`,
    [scope],
  );
  return row ? Number(row.v) : 0;
}

function formatDate(now: Date, format: string): string {
  const yyyy = String(now.getUTCFullYear());
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(now.getUTCDate()).padStart(2, '0');
  if (format === 'YYYY') return yyyy;
  if (format === 'YYYYMM') return yyyy + mm;
  return yyyy + mm + dd;
}
