import type { EngineDatabase, SqlExecutor } from '../data/database';
import { PollingLoop } from '../data/polling-loop';
import { AUDIT_TABLE, hashAuditRecord, storedAuditRecord, toSqlDateTime } from './audit-record';
import { lockChainHead, moveChainHead, unsealedRows, unsealedTenants, writeLinks } from './audit-store';

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

async function sealBatch(tx: SqlExecutor, tenantId: string, table: string): Promise<number> {
  const now = toSqlDateTime(new Date());
  let head = await lockChainHead(tx, tenantId, now);
  const rows = await unsealedRows(tx, table, tenantId, BATCH);
  if (rows.length === 0) return 0;
  const sealed = rows.map((row) => {
    const { id, ...stored } = row;
    const record = storedAuditRecord({ ...stored, seq: head.seq + 1, prev_hash: head.hash });
    const link = { id, seq: record.seq, prevHash: head.hash, hash: hashAuditRecord(record) };
    head = { seq: link.seq, hash: link.hash };
    return link;
  });
  for (let start = 0; start < sealed.length; start += STATEMENT_ROWS)
    await writeLinks(tx, table, sealed.slice(start, start + STATEMENT_ROWS));
  await moveChainHead(tx, tenantId, head, now);
  return sealed.length;
}
