/** A workflow transition row of `GET /api/<path>/:id/history` (platform/src/workflow/workflow-store.ts). */
interface TransitionRow {
  action: string;
  from: string;
  to: string;
  actor: string;
  reason: string | null;
  signed: boolean;
  occurredAt: string;
}

/** A row of `GET /api/<path>/:id/audit` (platform/src/audit/audit-history.ts). */
interface AuditRow {
  actorId: string;
  actorName: string | null;
  action: string;
  transition: string | null;
  changedFields: unknown;
  reason: string | null;
  occurredAt: string;
}

export interface HistoryEntry {
  at: string;
  title: string;
  by: string;
  detail: string;
}

const at = (iso: string): string => iso.slice(0, 19).replace('T', ' ');

/**
 * One timeline, newest first: workflow transitions (`RELEASE: DRAFT → RELEASED`, reason, e-signature)
 * and audit diffs (`UPDATE` with the changed fields). Audit rows of a transition are left out, the
 * transition row already tells it.
 */
export function historyEntries(transitions: unknown, audit: unknown): HistoryEntry[] {
  const fromTransitions = (Array.isArray(transitions) ? (transitions as TransitionRow[]) : []).map((row) => ({
    at: at(row.occurredAt),
    title: `${row.action}: ${row.from} → ${row.to}`,
    by: row.actor,
    detail: [row.reason, row.signed ? '✍ e-signed' : ''].filter(Boolean).join(' · '),
  }));
  const fromAudit = (Array.isArray(audit) ? (audit as AuditRow[]) : [])
    .filter((row) => row.transition === null)
    .map((row) => ({
      at: at(row.occurredAt),
      title: row.action,
      by: row.actorName ?? row.actorId,
      detail: [Array.isArray(row.changedFields) ? row.changedFields.join(', ') : '', row.reason]
        .filter(Boolean)
        .join(' · '),
    }));
  return [...fromTransitions, ...fromAudit].sort((a, b) => b.at.localeCompare(a.at));
}
