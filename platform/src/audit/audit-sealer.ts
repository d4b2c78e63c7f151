import type { EngineDatabase, SqlExecutor } from '../data/database';
import { PollingLoop } from '../data/polling-loop';
import { placeholders } from '../data/sql';
import {
  AUDIT_TABLE,
  CHAIN_HEAD_TABLE,
  hashAuditRecord,
  hashedColumns,
  storedAuditRecord,
  toSqlDateTime,
  type ChainedAuditRecord,
} from './audit-record';

/** Records linked per transaction. */
const BATCH = 500;
/** Rows per UPDATE statement (three CASE lists of this many ids each). */
const STATEMENT_ROWS = 100;

/**
 * Links committed, unsealed audit records (written by appendAudit with no seq and no hash) into
 * their tenant's hash chain, oldest row first: each gets the next seq, its predecessor's hash and
 * its own hash over what is stored. Writers of the tenant never wait: only sealers take the
 * chain-head lock (a row lock on MySQL, so several server instances can seal side by side), and
 * only for one short transaction per batch. Returns how many records were sealed.
 */
export async function sealAuditChains(
  db: EngineDatabase,
  tenantId?: string,
  table: string = AUDIT_TABLE,
): Promise<number> {
  const tenants = tenantId ? [tenantId] : await unsealedTenants(db.executor(), table);
  let sealed = 0;
  for (const tenant of tenants) {
    for (;;) {
      const count = await db.transaction((tx) => sealBatch(tx, tenant, table), {
        isolation: 'READ COMMITTED',
      });
      sealed += count;
      if (count < BATCH) break;
    }
  }
  return sealed;
}

/** Commits within this window after the first are sealed together. */
const SEAL_WINDOW_MS = 50;

/**
 * Seals in the background: shortly after each commit that wrote audit records (notify()) and every
 * `idleDelayMs` for records written by other instances or left by a crash. stop() seals what is
 * left, so a clean shutdown leaves no record unsealed.
 */
export class AuditSealer {
  private readonly loop: PollingLoop;

  constructor(
    private readonly db: EngineDatabase,
    options: { idleDelayMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.loop = new PollingLoop(
      async () => (await sealAuditChains(db)) >= BATCH,
      options.idleDelayMs ?? 200,
      options.onError,
      SEAL_WINDOW_MS,
    );
  }

  start(): void {
    this.loop.start();
  }

  notify(): void {
    this.loop.notify();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await sealAuditChains(this.db);
  }
}

async function unsealedTenants(db: SqlExecutor, table: string): Promise<string[]> {
  // Served by idx_audit_unsealed (seq, tenant_id): a lookup of the NULL seqs only.
  const rows = await db.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM ${db.dialect.quote(table)} WHERE seq IS NULL`,
  );
  return rows.map((row) => row.tenant_id);
}

async function sealBatch(tx: SqlExecutor, tenantId: string, table: string): Promise<number> {
  const now = toSqlDateTime(new Date());
  let head = await lockChainHead(tx, tenantId, now);
  const q = tx.dialect.quote;
  const rows = await tx.query<ChainedAuditRecord & { id: number | string }>(
    `SELECT id, ${hashedColumns(q)} FROM ${q(table)} WHERE tenant_id = ? AND seq IS NULL ORDER BY id LIMIT ${BATCH}`,
    [tenantId],
  );
  if (rows.length === 0) return 0;
  const sealed = rows.map((row) => {
    const { id, ...stored } = row;
    const record = storedAuditRecord({ ...stored, seq: head.seq + 1, prev_hash: head.hash });
    const link = { id, seq: record.seq, prevHash: head.hash, hash: hashAuditRecord(record) };
    head = { seq: link.seq, hash: link.hash };
    return link;
  });
  for (let start = 0; start < sealed.length; start += STATEMENT_ROWS) {
    const chunk = sealed.slice(start, start + STATEMENT_ROWS);
    const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
    await tx.execute(
      `UPDATE ${q(table)} SET seq = CASE id ${cases} END, prev_hash = CASE id ${cases} END, ` +
        `${q('hash')} = CASE id ${cases} END WHERE id IN ${placeholders(chunk.length)}`,
      [
        ...chunk.flatMap((link) => [link.id, link.seq]),
        ...chunk.flatMap((link) => [link.id, link.prevHash]),
        ...chunk.flatMap((link) => [link.id, link.hash]),
        ...chunk.map((link) => link.id),
      ],
    );
  }
  await tx.execute(
    `UPDATE ${CHAIN_HEAD_TABLE} SET last_seq = ?, last_hash = ?, updated_at = ? WHERE tenant_id = ?`,
    [head.seq, head.hash, now, tenantId],
  );
  return sealed.length;
}

async function lockChainHead(
  tx: SqlExecutor,
  tenantId: string,
  now: string,
): Promise<{ seq: number; hash: string | null }> {
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
