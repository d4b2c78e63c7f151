/** Types of the audit API (`/api/<path>/:id/audit`) the browser app reads; type-only, no runtime code. */

/** One write of a record as its audit trail tells it. */
export interface AuditHistoryEntry {
  /** Chain position; null for the moment between commit and sealing. */
  seq: number | null;
  actorId: string;
  actorName: string | null;
  action: string;
  transition: string | null;
  changedFields: unknown;
  diff: unknown;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  traceId: string | null;
  occurredAt: string;
}
