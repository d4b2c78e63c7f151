/** Types of the workflow action API (`/api/<path>/:id/actions`) the browser app uses; type-only, no runtime code. */
import type { I18nText } from '../../../metadata/src/types';
import type { EntityRecord } from './crud';

export type ApprovalDecision = 'approve' | 'reject';

/** Body of `POST /api/<path>/:id/actions/<action>`. */
export interface ActionBody {
  reason?: string | null;
  /** E-signature: the actor's password, re-entered. */
  password?: string | null;
  /** Field values in API names (e.g. `cancelReason`). */
  fields?: Record<string, unknown>;
  /** Optimistic lock: when given, must match the record's version. */
  version?: number;
  /** On a pending approval: the approver's vote (default approve). */
  decision?: ApprovalDecision;
  comment?: string | null;
}

export interface ActionResult {
  status: 'APPLIED' | 'PENDING_APPROVAL' | 'REJECTED';
  action: string;
  from: string;
  to: string;
  record: EntityRecord;
  approvals?: { approvals: number; required: number };
}

/** One action the caller may take now on a record (`GET /api/<path>/:id/actions`). */
export interface AvailableAction {
  action: string;
  label: I18nText;
  to: string;
  reasonRequired: boolean;
  signature: boolean;
  /** API names of the fields the transition needs filled in (e.g. `cancelReason`). */
  requiredFields: string[];
  /** True when the call would cast an approval vote rather than request the change. */
  approvalVote: boolean;
}

/** A transition a record went through (`GET /api/<path>/:id/history`). */
export interface HistoryRow {
  id: number;
  workflow: string;
  workflowVersion: number;
  action: string;
  from: string;
  to: string;
  actor: string;
  reason: string | null;
  signed: boolean;
  approvalId: number | null;
  traceId: string | null;
  occurredAt: string;
}
