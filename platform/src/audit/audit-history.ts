import type { AuditHistoryEntry } from '../contracts/audit';
import type { SqlExecutor } from '../data/database';
import { AUDIT_TABLE, parseJsonColumn } from './audit-record';
import { auditRowsOfRecord, recordWrites } from './audit-store';

/** A record's audit history, oldest first (row order: a record's seq is set only once it is sealed). Callers authorize the record read first. */
export async function auditHistory(
  db: SqlExecutor,
  tenantId: string,
  entity: string,
  recordId: string,
): Promise<AuditHistoryEntry[]> {
  const rows = await auditRowsOfRecord(db, AUDIT_TABLE, tenantId, entity, recordId);
  return rows.map((row) => ({
    seq: row.seq === null || row.seq === undefined ? null : Number(row.seq),
    actorId: String(row.actor_id),
    actorName: (row.actor_name as string | null) ?? null,
    action: String(row.action),
    transition: (row.transition as string | null) ?? null,
    changedFields: parseJsonColumn(row.changed_fields),
    diff: parseJsonColumn(row.diff),
    reason: (row.reason as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    traceId: (row.trace_id as string | null) ?? null,
    occurredAt: String(row.occurred_at),
  }));
}

/**
 * The users who shaped a record, read from its audit trail: its creator, and everyone whose update
 * changed one of `fields` (API names; absent: any field). Segregation of duties asks this.
 */
export async function recordEditors(
  db: SqlExecutor,
  tenantId: string,
  entity: string,
  recordId: string,
  fields?: readonly string[],
): Promise<Set<string>> {
  const editors = new Set<string>();
  for (const row of await recordWrites(db, AUDIT_TABLE, tenantId, entity, recordId)) {
    const changed = parseJsonColumn(row.changed_fields);
    const touched =
      row.action === 'CREATE' ||
      !fields ||
      (Array.isArray(changed) && changed.some((name) => fields.includes(String(name))));
    if (touched) editors.add(String(row.actor_id));
  }
  return editors;
}
