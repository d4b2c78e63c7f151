import { formatDateTime } from '../api/display';
import type { AuditHistoryEntry } from '../../../platform/src/contracts/audit';
import type { HistoryRow } from '../../../platform/src/contracts/workflow';
import type { EntityMeta } from '../api/meta';
import { i18n, text } from '../i18n';

export interface HistoryEntry {
  at: string;
  /** ISO instant, for ordering. */
  sortKey: string;
  title: string;
  by: string;
  detail: string;
}

/** Columns every record has; a change to them alone is bookkeeping, not news. */
const SYSTEM_FIELDS = new Set([
  'id',
  'tenantId',
  'version',
  'createdAt',
  'createdBy',
  'updatedAt',
  'updatedBy',
  'deletedAt',
  'ext',
]);

const AUDIT_ACTIONS: Record<string, string> = {
  CREATE: 'history.created',
  UPDATE: 'history.updated',
  DELETE: 'history.deleted',
  RESTORE: 'history.restored',
};

/**
 * One timeline, newest first: workflow transitions ("Release: Draft → Released", reason, e-signature)
 * and audit diffs ("Changed: Quantity, Planned start"), each with the person's name. Audit rows of a
 * transition are left out (the transition row tells it), but name its actor.
 */
export function historyEntries(
  meta: EntityMeta,
  transitions: HistoryRow[],
  auditRows: AuditHistoryEntry[],
): HistoryEntry[] {
  const names = new Map(auditRows.filter((r) => r.actorName).map((r) => [r.actorId, r.actorName!]));
  const stateLabel = (state: string) => text(meta.workflow?.states[state]?.label) || state;
  const actionLabel = (action: string) =>
    text(meta.workflow?.transitions.find((tr) => tr.action === action)?.label) || action;
  const fromTransitions = transitions.map((row) => ({
    at: formatDateTime(row.occurredAt),
    sortKey: row.occurredAt,
    title: `${actionLabel(row.action)}: ${stateLabel(row.from)} → ${stateLabel(row.to)}`,
    by: names.get(row.actor) ?? (row.actor === 'system' ? i18n.global.t('history.system') : `#${row.actor}`),
    detail: [row.reason, row.signed ? `✍ ${i18n.global.t('history.signed')}` : '']
      .filter(Boolean)
      .join(' · '),
  }));
  const fromAudit = auditRows
    .filter((row) => row.transition === null)
    .map((row) => ({
      at: formatDateTime(row.occurredAt),
      sortKey: row.occurredAt,
      title: AUDIT_ACTIONS[row.action] ? i18n.global.t(AUDIT_ACTIONS[row.action]) : row.action,
      by: row.actorName ?? `#${row.actorId}`,
      detail: [row.action === 'UPDATE' ? changedLabels(meta, row.changedFields) : '', row.reason]
        .filter(Boolean)
        .join(' · '),
    }));
  return [...fromTransitions, ...fromAudit].sort((a, b) => b.sortKey.localeCompare(a.sortKey));
}

/** The labels of the fields a change touched, without system columns. */
function changedLabels(meta: EntityMeta, changed: unknown): string {
  if (!Array.isArray(changed)) return '';
  const labels = changed
    .map(String)
    .filter((name) => !SYSTEM_FIELDS.has(name))
    .map((name) => {
      const field = meta.fields.find((f) => f.apiName === name || f.property === name || f.name === name);
      return field ? text(field.label) : name;
    });
  return labels.length ? `${i18n.global.t('history.changed')}: ${[...new Set(labels)].join(', ')}` : '';
}
