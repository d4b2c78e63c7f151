import type { SqlExecutor } from '../../data/database';
import { currentValue, nextValue } from '../../data/sequences';

const INVALIDATIONS = 'sec_principal_invalidation';

/** One subject's latest invalidation: the tenant's principal version the change took. */
export interface InvalidationRow {
  tenantId: string;
  subject: string;
  version: number;
}

/** The sequence of a tenant's principal versions (tenant ids never hold `#`). */
function versionScope(tenantId: string): string {
  return `#principal:${tenantId}`;
}

/**
 * Takes the tenant's next principal version inside the changing transaction. The sequence row stays
 * locked until the transaction ends, so versions are handed out in commit order per tenant.
 */
export function nextPrincipalVersion(tx: SqlExecutor, tenantId: string): Promise<number> {
  return nextValue(tx, versionScope(tenantId));
}

/** The tenant's principal version as committed (0 before its first change). */
export function currentPrincipalVersion(db: SqlExecutor, tenantId: string): Promise<number> {
  return currentValue(db, versionScope(tenantId));
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
