/** The statements of the audit trail: append, history, sealing and verification. */
import type { SqlExecutor } from '../data/database';
import { placeholders } from '../data/sql';
import { CHAIN_HEAD_TABLE, hashedColumns, type ChainedAuditRecord } from './audit-record';

/** The columns `appendAudit` writes, in the order of `insertAuditRow`'s values. */
export interface AuditRowValues {
  tenantId: string;
  actorId: string;
  actorName: string | null;
  entity: string;
  recordId: string;
  action: string;
  transition: string | null;
  changedFields: string;
  diff: string;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  traceId: string | null;
  occurredAt: string;
}

/**
 * Inserts one unsealed audit row (no seq, no hash); inside a MySQL transaction it is sent with the
 * transaction's next statement or its commit (`executeLater`).
 */
export function insertAuditRow(tx: SqlExecutor, table: string, row: AuditRowValues): Promise<void> {
  const q = tx.dialect.quote;
  return tx.executeLater(
    `INSERT INTO ${q(table)} (tenant_id, actor_id, actor_name, entity_name, record_id, ${q('action')}, ` +
      'transition, changed_fields, diff, reason, ip, user_agent, trace_id, occurred_at, created_at, created_by, updated_at, updated_by, version) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
    [
      row.tenantId,
      row.actorId,
      row.actorName,
      row.entity,
      row.recordId,
      row.action,
      row.transition,
      row.changedFields,
      row.diff,
      row.reason,
      row.ip,
      row.userAgent,
      row.traceId,
      row.occurredAt,
      row.occurredAt,
      row.actorId,
      row.occurredAt,
      row.actorId,
    ],
  );
}

/** A record's audit rows, oldest first (row order: a record's seq is set only once it is sealed). */
export function auditRowsOfRecord(
  db: SqlExecutor,
  table: string,
  tenantId: string,
  entity: string,
  recordId: string,
): Promise<Record<string, unknown>[]> {
  const q = db.dialect.quote;
  return db.query<Record<string, unknown>>(
    `SELECT seq, actor_id, actor_name, ${q('action')}, transition, changed_fields, diff, reason, ip, user_agent, trace_id, occurred_at ` +
      `FROM ${q(table)} WHERE tenant_id = ? AND entity_name = ? AND record_id = ? ORDER BY id`,
    [tenantId, entity, recordId],
  );
}

/** Who created or updated a record, with the fields each update changed, oldest first. */
export function recordWrites(
  db: SqlExecutor,
  table: string,
  tenantId: string,
  entity: string,
  recordId: string,
): Promise<{ actor_id: string; action: string; changed_fields: unknown }[]> {
  const q = db.dialect.quote;
  return db.query(
    `SELECT actor_id, ${q('action')}, changed_fields FROM ${q(table)} ` +
      `WHERE tenant_id = ? AND entity_name = ? AND record_id = ? AND ${q('action')} IN ('CREATE', 'UPDATE') ORDER BY id`,
    [tenantId, entity, recordId],
  );
}

export async function unsealedTenants(db: SqlExecutor, table: string): Promise<string[]> {
  // Served by idx_audit_unsealed (seq, tenant_id): a lookup of the NULL seqs only.
  const rows = await db.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM ${db.dialect.quote(table)} WHERE seq IS NULL`,
  );
  return rows.map((row) => row.tenant_id);
}

/** The tenant's oldest unsealed rows, at most `limit`. */
export function unsealedRows(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  limit: number,
): Promise<(ChainedAuditRecord & { id: number | string })[]> {
  const q = tx.dialect.quote;
  return tx.query<ChainedAuditRecord & { id: number | string }>(
    `SELECT id, ${hashedColumns(q)} FROM ${q(table)} WHERE tenant_id = ? AND seq IS NULL ORDER BY id LIMIT ${limit}`,
    [tenantId],
  );
}

export interface ChainLink {
  id: number | string;
  seq: number;
  prevHash: string | null;
  hash: string;
}

/**
 * Writes seq, prev_hash and hash of several rows in one statement, sent with the transaction's next
 * statement or its commit (`executeLater`).
 */
export async function writeLinks(tx: SqlExecutor, table: string, links: readonly ChainLink[]): Promise<void> {
  const q = tx.dialect.quote;
  const cases = links.map(() => 'WHEN ? THEN ?').join(' ');
  await tx.executeLater(
    `UPDATE ${q(table)} SET seq = CASE id ${cases} END, prev_hash = CASE id ${cases} END, ` +
      `${q('hash')} = CASE id ${cases} END WHERE id IN ${placeholders(links.length)}`,
    [
      ...links.flatMap((link) => [link.id, link.seq]),
      ...links.flatMap((link) => [link.id, link.prevHash]),
      ...links.flatMap((link) => [link.id, link.hash]),
      ...links.map((link) => link.id),
    ],
  );
}

export interface ChainHead {
  seq: number;
  hash: string | null;
}

/** The tenant's chain head, created at seq 0 if missing, locked for this transaction on MySQL. */
export async function lockChainHead(tx: SqlExecutor, tenantId: string, now: string): Promise<ChainHead> {
  const mysql = tx.dialect.name === 'mysql';
  const select = `SELECT last_seq, last_hash FROM ${CHAIN_HEAD_TABLE} WHERE tenant_id = ?${mysql ? ' FOR UPDATE' : ''}`;
  type Head = { last_seq: number | string; last_hash: string | null };
  let rows = await tx.query<Head>(select, [tenantId]);
  if (rows.length === 0) {
    const insert = mysql
      ? `INSERT INTO ${CHAIN_HEAD_TABLE} (tenant_id, last_seq, last_hash, updated_at) VALUES (?, 0, NULL, ?) ON DUPLICATE KEY UPDATE tenant_id = tenant_id`
      : `INSERT OR IGNORE INTO ${CHAIN_HEAD_TABLE} (tenant_id, last_seq, last_hash, updated_at) VALUES (?, 0, NULL, ?)`;
    await tx.execute(insert, [tenantId, now]);
    rows = await tx.query<Head>(select, [tenantId]);
  }
  return { seq: Number(rows[0]!.last_seq), hash: rows[0]!.last_hash };
}

/** Moves the tenant's chain head; sent with the transaction's commit (`executeLater`). */
export async function moveChainHead(
  tx: SqlExecutor,
  tenantId: string,
  head: ChainHead,
  now: string,
): Promise<void> {
  await tx.executeLater(
    `UPDATE ${CHAIN_HEAD_TABLE} SET last_seq = ?, last_hash = ?, updated_at = ? WHERE tenant_id = ?`,
    [head.seq, head.hash, now, tenantId],
  );
}

/** Every chain head (or the tenant's). */
export async function chainHeads(db: SqlExecutor, tenantId?: string): Promise<Map<string, ChainHead>> {
  const heads = await db.query<{ tenant_id: string; last_seq: number | string; last_hash: string | null }>(
    `SELECT tenant_id, last_seq, last_hash FROM ${CHAIN_HEAD_TABLE}${tenantId ? ' WHERE tenant_id = ?' : ''}`,
    tenantId ? [tenantId] : [],
  );
  return new Map(heads.map((h) => [h.tenant_id, { seq: Number(h.last_seq), hash: h.last_hash }]));
}

/** Tenants with sealed rows (or the tenant, if it has any). */
export async function sealedTenants(db: SqlExecutor, table: string, tenantId?: string): Promise<string[]> {
  const rows = await db.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM ${db.dialect.quote(table)} WHERE seq IS NOT NULL${tenantId ? ' AND tenant_id = ?' : ''}`,
    tenantId ? [tenantId] : [],
  );
  return rows.map((row) => row.tenant_id);
}

export async function unsealedCount(db: SqlExecutor, table: string, tenantId?: string): Promise<number> {
  const [pending] = await db.query<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM ${db.dialect.quote(table)} WHERE seq IS NULL${tenantId ? ' AND tenant_id = ?' : ''}`,
    tenantId ? [tenantId] : [],
  );
  return Number(pending!.n);
}

/** Sealed rows of the tenant from `fromSeq` on, in seq order, at most `limit`. */
export function sealedRowsFrom(
  db: SqlExecutor,
  table: string,
  tenantId: string,
  fromSeq: number,
  limit: number,
): Promise<(ChainedAuditRecord & { hash: string })[]> {
  const q = db.dialect.quote;
  return db.query<ChainedAuditRecord & { hash: string }>(
    `SELECT ${hashedColumns(q)}, ${q('hash')} FROM ${q(table)} ` +
      `WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ${limit}`,
    [tenantId, fromSeq],
  );
}
