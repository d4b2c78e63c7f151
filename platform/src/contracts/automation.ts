/** Types of the automation API the browser app reads (`/api/me/...`); type-only, no runtime code. */

/** An in-app notification of the caller. */
export interface NotificationView {
  id: number;
  tenantId: string;
  userId: string;
  rule: string | null;
  severity: string;
  title: string;
  body: string | null;
  entity: string | null;
  recordId: number | null;
  createdMs: number;
  readMs: number | null;
}

/** An approval the caller may vote on. */
export interface VotableApproval {
  approvalId: number;
  entity: string;
  recordId: number;
  action: string;
  requester: string;
  reason: string | null;
  requestedAt: string;
  approvals: number;
  required: number;
}

/** An open record assigned to the caller, with the timers (SLA) running on it. */
export interface AssignedTask {
  entity: string;
  path: string;
  recordId: number;
  title: string;
  state: string | null;
  deadlines: { rule: string; dueAt: string }[];
}

/**
 * A record in a state from which a workflow action assigned to one of the caller's roles (the
 * transition's `roles`) leads, and which the caller may perform.
 */
export interface RoleTask {
  entity: string;
  path: string;
  recordId: number;
  title: string;
  state: string | null;
  actions: { action: string; label: { en: string; zh: string } }[];
}

export interface TaskInbox {
  counts: { approvals: number; assigned: number; actions: number; unread: number; total: number };
  approvals: (VotableApproval & { path: string; title: string })[];
  assigned: AssignedTask[];
  actions: RoleTask[];
}

/** What one action of a rule would do, planned instead of applied. */
export interface PlannedAction {
  action: string;
  detail: Record<string, unknown>;
}

/** A test run of a rule against a record (`POST /api/automation/rules/:name/test`, `/api/studio/rule-test`); nothing is written. */
export interface RuleTestRun {
  rule: string;
  recordId: number | null;
  synchronous: boolean;
  holds: boolean;
  measures: Record<string, number>;
  actions: PlannedAction[];
}

/** `GET /api/me/notifications/count`. */
export interface UnreadCount {
  unread: number;
}

/** `POST /api/me/notifications/read`: how many were marked read, and how many stay unread. */
export interface MarkedRead {
  marked: number;
  unread: number;
}
