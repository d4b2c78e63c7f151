import type { Model } from '../../../metadata/src/model';
import { fingerprintSensitive } from '../security/crypto/sensitive-fields';
import type { SqlExecutor } from '../data/database';
import { changedFields, computeDiff, type AuditDiff } from './audit-diff';
import { AUDIT_TABLE, toSqlDateTime, type AuditAction } from './audit-record';
import { insertAuditRow } from './audit-store';
import { canonicalJson } from './canonical-json';

/** What happened, told by the code that did it. */
export interface AuditEntry {
  tenantId: string;
  /** User id, or `system` for work nobody asked for. */
  actorId: string;
  actorName?: string | null;
  entity: string;
  recordId: string | number;
  action: AuditAction;
  /** Workflow action name for TRANSITION/APPROVE. */
  transition?: string | null;
  /** Record before and after in API shape (children arrays included); the diff is computed from them. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** The Model of `before`/`after`: their sensitive fields are logged as digests, never in clear. */
  model?: Model;
  /** Detail of events that change no record (logins, metadata publishes), stored instead of a diff. */
  detail?: Record<string, unknown>;
  reason?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  traceId?: string | null;
  occurredAt?: Date;
}

/**
 * Appends one record inside the caller's transaction, so it commits or rolls back with the change
 * it describes. The record is written unsealed (no seq, no hash) and takes no lock: linking it into
 * the tenant's hash chain is the sealer's job after commit. Chaining here would serialise every
 * write of a tenant on the chain head from this point until commit.
 */
export async function appendAudit(
  tx: SqlExecutor,
  entry: AuditEntry,
  table: string = AUDIT_TABLE,
): Promise<void> {
  const now = toSqlDateTime(entry.occurredAt ?? new Date());
  const compiled = entry.model?.entities.get(entry.entity);
  const forLog = (values: Record<string, unknown> | null | undefined) =>
    entry.model && compiled && values ? fingerprintSensitive(entry.model, compiled, values) : values;
  const diff: AuditDiff | null = entry.detail ? null : computeDiff(forLog(entry.before), forLog(entry.after));
  await insertAuditRow(tx, table, {
    tenantId: entry.tenantId,
    actorId: entry.actorId,
    actorName: entry.actorName ?? null,
    entity: entry.entity,
    recordId: String(entry.recordId),
    action: entry.action,
    transition: entry.transition ?? null,
    changedFields: canonicalJson(diff ? changedFields(diff) : []),
    diff: canonicalJson(diff ?? entry.detail ?? {}),
    reason: entry.reason ?? null,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent ?? null,
    traceId: entry.traceId ?? null,
    occurredAt: now,
  });
}
