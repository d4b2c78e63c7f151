import type { SqlExecutor } from '../../data/database';

const VERSIONS = 'sec_principal_version';
const INVALIDATIONS = 'sec_principal_invalidation';
const MAX_ROUNDS = 5;

/** One subject's latest invalidation: the tenant's principal version the change took. */
export interface InvalidationRow {
  tenantId: string;
  subject: string;
  version: number;
}

/**
 * Takes the tenant's next principal version inside the changing transaction. The counter row stays
 * locked until the transaction ends, so versions are handed out in commit order per tenant.
 */
export async function nextPrincipalVersion(tx: SqlExecutor, tenantId: string): Promise<number> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const bumped = await tx.execute(`UPDATE ${VERSIONS} SET version = version + 1 WHERE tenant_id = ?`, [
      tenantId,
    ]);
    if (bumped.affected === 1) return currentPrincipalVersion(tx, tenantId);
    try {
      await tx.execute(`INSERT INTO ${VERSIONS} (tenant_id, version) VALUES (?, 1)`, [tenantId]);
      return 1;
    } catch (error) {
      // Another transaction inserted the tenant's row first: bump it.
      if (!tx.dialect.uniqueViolation(error)) throw error;
    }
  }
  throw new Error(`principal version of tenant ${tenantId} could not be taken`);
}

/** The tenant's principal version as committed (0 before its first change). */
export async function currentPrincipalVersion(db: SqlExecutor, tenantId: string): Promise<number> {
  const [row] = await db.query<{ version: number | string }>(
    `SELECT version FROM ${VERSIONS} WHERE tenant_id = ?`,
    [tenantId],
  );
  return row ? Number(row.version) : 0;
}

/** Records that the subjects changed at `version` (later versions replace earlier ones). */
export async function storeInvalidations(
  tx: SqlExecutor,
  tenantId: string,
  subjects: readonly string[],
  version: number,
  nowMs: number,
): Promise<void> {
  for (const subject of subjects) {
    const updated = await tx.execute(
      `UPDATE ${INVALIDATIONS} SET version = ?, changed_at_ms = ? WHERE tenant_id = ? AND subject = ? AND version < ?`,
      [version, nowMs, tenantId, subject, version],
    );
    if (updated.affected === 1) continue;
    try {
      await tx.execute(
        `INSERT INTO ${INVALIDATIONS} (tenant_id, subject, version, changed_at_ms) VALUES (?, ?, ?, ?)`,
        [tenantId, subject, version, nowMs],
      );
    } catch (error) {
      // The row exists with this version or a later one already.
      if (!tx.dialect.uniqueViolation(error)) throw error;
    }
  }
}

/** Invalidations recorded since `sinceMs`: older ones only concern access tokens that have expired. */
export async function recentInvalidations(db: SqlExecutor, sinceMs: number): Promise<InvalidationRow[]> {
  const rows = await db.query<{
    tenant_id: string;
    subject: string;
    version: number | string;
  }>(`SELECT tenant_id, subject, version FROM ${INVALIDATIONS} WHERE changed_at_ms > ?`, [sinceMs]);
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    subject: row.subject,
    version: Number(row.version),
  }));
}
