import type { Model } from '../../../metadata/src/model';
import { fingerprintSensitive } from '../security/crypto/sensitive-fields';
import type { SqlExecutor } from '../data/database';
import { changedFields, computeDiff, type AuditDiff } from './audit-diff';
import { AUDIT_TABLE, toSqlDateTime, type AuditAction } from './audit-record';
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

export interface AppendedAudit {
  /** Row id; the record gets its chain `seq` and `hash` when the sealer links it (audit-sealer.ts). */
  id: number;
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
): Promise<AppendedAudit> {
  const now = toSqlDateTime(entry.occurredAt ?? new Date());
  const compiled = entry.model?.entities.get(entry.entity);
  const forLog = (values: Record<string, unknown> | null | undefined) =>
    entry.model && compiled && values ? fingerprintSensitive(entry.model, compiled, values) : values;
  const diff: AuditDiff | null = entry.detail ? null : computeDiff(forLog(entry.before), forLog(entry.after));
  const q = tx.dialect.quote;
  const result = await tx.execute(
    `INSERT INTO ${q(table)} (tenant_id, actor_id, actor_name, entity_name, record_id, ${q('action')}, ` +
      'transition, changed_fields, diff, reason, ip, user_agent, trace_id, occurred_at, created_at, created_by, updated_at, updated_by, version) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
    [
      entry.tenantId,
      entry.actorId,
      entry.actorName ?? null,
      entry.entity,
      String(entry.recordId),
      entry.action,
      entry.transition ?? null,
      canonicalJson(diff ? changedFields(diff) : []),
      canonicalJson(diff ?? entry.detail ?? {}),
      entry.reason ?? null,
      entry.ip ?? null,
      entry.userAgent ?? null,
      entry.traceId ?? null,
      now,
      now,
      entry.actorId,
      now,
      entry.actorId,
    ],
  );
  return { id: result.insertId };
}
