import type { SqlExecutor } from '../data/database';
import { AUDIT_TABLE, hashAuditRecord, storedAuditRecord } from './audit-record';
import { chainHeads, sealedRowsFrom, sealedTenants, unsealedCount } from './audit-store';

export type AuditProblemKind = 'edited' | 'relinked' | 'missing' | 'truncated';

export interface AuditProblem {
  tenantId: string;
  /** The record concerned (for `missing`: the first absent seq; for `truncated`: the head's last seq). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export interface AuditVerification {
  tenants: number;
  /** Sealed records verified. */
  records: number;
  /** Records committed but not yet linked by the sealer: not covered by this verification. */
  unsealed: number;
  problems: AuditProblem[];
}

const BATCH = 1000;

/**
 * Recomputes every tenant's chain: an edited record no longer matches its hash (`edited`), a record
 * whose prev_hash is not its predecessor's hash was re-linked (`relinked`), a gap in seq means records
 * were deleted (`missing`), and a chain ending before its head row means the newest were deleted
 * (`truncated`). Reads in seq batches, so the log can be larger than memory. Records the sealer has
 * not linked yet are counted as `unsealed`; seal first (sealAuditChains) to cover them.
 */
export async function verifyAuditChain(
  db: SqlExecutor,
  tenantId?: string,
  table: string = AUDIT_TABLE,
): Promise<AuditVerification> {
  const tenants = await chainHeads(db, tenantId);
  for (const tenant of await sealedTenants(db, table, tenantId))
    if (!tenants.has(tenant)) tenants.set(tenant, { seq: 0, hash: null });
  const result: AuditVerification = {
    tenants: tenants.size,
    records: 0,
    unsealed: await unsealedCount(db, table, tenantId),
    problems: [],
  };
  for (const [tenant, head] of tenants) {
    const end = await verifyTenant(db, table, tenant, result);
    if (end.seq < head.seq || (head.seq > 0 && end.hash !== head.hash))
      result.problems.push({
        tenantId: tenant,
        seq: head.seq,
        kind: 'truncated',
        message: `chain ends at seq ${end.seq} but its head records seq ${head.seq}: the newest records were deleted`,
      });
  }
  return result;
}

async function verifyTenant(
  db: SqlExecutor,
  table: string,
  tenantId: string,
  result: AuditVerification,
): Promise<{ seq: number; hash: string | null }> {
  let expectedSeq = 1;
  let previousHash: string | null = null;
  for (;;) {
    const rows = await sealedRowsFrom(db, table, tenantId, expectedSeq, BATCH);
    for (const row of rows) {
      const seq = Number(row.seq);
      const problem = (kind: AuditProblemKind, message: string) =>
        result.problems.push({ tenantId, seq, kind, message });
      if (seq > expectedSeq)
        result.problems.push({
          tenantId,
          seq: expectedSeq,
          kind: 'missing',
          message: `records ${expectedSeq}..${seq - 1} are missing: deleted from the chain`,
        });
      const { hash, ...stored } = row;
      if (hashAuditRecord(storedAuditRecord(stored)) !== hash)
        problem('edited', `record ${seq} does not match its hash: it was edited`);
      if (expectedSeq > 1 && seq === expectedSeq && row.prev_hash !== previousHash)
        problem('relinked', `record ${seq} does not point at record ${seq - 1}: the chain was re-linked`);
      result.records += 1;
      previousHash = hash;
      expectedSeq = seq + 1;
    }
    if (rows.length < BATCH) return { seq: expectedSeq - 1, hash: previousHash };
  }
}
