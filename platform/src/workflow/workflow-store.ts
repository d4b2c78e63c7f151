import type { SqlExecutor } from '../data/database';
import { sqlTime } from '../data/sql';
import type { WorkflowDef } from '../../../metadata/src/types';
import type { HistoryRow } from '../contracts/workflow';
import type { ApprovalVote } from './approval-rules';

export type { HistoryRow };

/** Key of one record in the workflow tables. */
export interface RecordRef {
  tenant: string;
  entity: string;
  recordId: number;
}

export interface ApprovalRow {
  id: number;
  workflow: string;
  workflowVersion: number;
  action: string;
  requester: string;
  reason: string | null;
  fields: Record<string, unknown>;
  required: number;
  status: string;
  votes: ApprovalVote[];
}

/** SQL of the workflow's own tables (definitions, instances, history, approvals); every statement parameterised. */
export class WorkflowStore {
  /**
   * Stores a definition version the first time it is seen, so records started on it keep it after
   * upgrades. Instances of a cluster may see it first at the same moment: the second insert is ignored.
   */
  async registerDefinition(tx: SqlExecutor, def: WorkflowDef): Promise<void> {
    const found = await tx.query('SELECT 1 AS hit FROM wf_definition WHERE workflow = ? AND version = ?', [
      def.workflow,
      def.version,
    ]);
    if (found.length > 0) return;
    const insert = tx.dialect.name === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await tx.execute(
      `${insert} INTO wf_definition (workflow, version, entity, definition, registered_at) VALUES (?, ?, ?, ?, ?)`,
      [def.workflow, def.version, def.entity, JSON.stringify(def), sqlTime(new Date())],
    );
  }

  async definition(tx: SqlExecutor, workflow: string, version: number): Promise<WorkflowDef | null> {
    const rows = await tx.query<{ definition: string }>(
      'SELECT definition FROM wf_definition WHERE workflow = ? AND version = ?',
      [workflow, version],
    );
    return rows[0] ? (JSON.parse(rows[0].definition) as WorkflowDef) : null;
  }

  /** Workflow name → the definition version this record started with. */
  async instanceVersions(tx: SqlExecutor, ref: RecordRef): Promise<Map<string, number>> {
    const rows = await tx.query<{ workflow: string; workflow_version: number | string }>(
      'SELECT workflow, workflow_version FROM wf_instance WHERE tenant_id = ? AND entity = ? AND record_id = ?',
      [ref.tenant, ref.entity, ref.recordId],
    );
    return new Map(rows.map((row) => [row.workflow, Number(row.workflow_version)]));
  }

  async saveInstance(
    tx: SqlExecutor,
    ref: RecordRef,
    def: WorkflowDef,
    state: string,
    isNew: boolean,
  ): Promise<void> {
    const now = sqlTime(new Date());
    if (isNew) {
      await tx.execute(
        `INSERT INTO wf_instance (tenant_id, entity, record_id, workflow, workflow_version, state, started_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [ref.tenant, ref.entity, ref.recordId, def.workflow, def.version, state, now, now],
      );
    } else {
      await tx.execute(
        'UPDATE wf_instance SET state = ?, updated_at = ? WHERE tenant_id = ? AND entity = ? AND record_id = ? AND workflow = ?',
        [state, now, ref.tenant, ref.entity, ref.recordId, def.workflow],
      );
    }
  }

  async appendHistory(
    tx: SqlExecutor,
    ref: RecordRef,
    row: Omit<HistoryRow, 'id' | 'occurredAt'>,
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO wf_history (tenant_id, entity, record_id, workflow, workflow_version, action, from_state, to_state,
         actor, reason, signed, approval_id, trace_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        ref.tenant,
        ref.entity,
        ref.recordId,
        row.workflow,
        row.workflowVersion,
        row.action,
        row.from,
        row.to,
        row.actor,
        row.reason,
        row.signed ? 1 : 0,
        row.approvalId,
        row.traceId,
        sqlTime(new Date()),
      ],
    );
  }

  async history(tx: SqlExecutor, ref: RecordRef): Promise<HistoryRow[]> {
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT id, workflow, workflow_version, action, from_state, to_state, actor, reason, signed, approval_id, trace_id, occurred_at
         FROM wf_history WHERE tenant_id = ? AND entity = ? AND record_id = ? ORDER BY id`,
      [ref.tenant, ref.entity, ref.recordId],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      workflow: String(row.workflow),
      workflowVersion: Number(row.workflow_version),
      action: String(row.action),
      from: String(row.from_state),
      to: String(row.to_state),
      actor: String(row.actor),
      reason: row.reason === null ? null : String(row.reason),
      signed: Boolean(Number(row.signed)),
      approvalId: row.approval_id === null ? null : Number(row.approval_id),
      traceId: row.trace_id === null ? null : String(row.trace_id),
      occurredAt: String(row.occurred_at),
    }));
  }

  /** Every approval of the tenant still collecting votes, oldest first, with the votes cast so far. */
  async openApprovals(
    sql: SqlExecutor,
    tenant: string,
    limit: number,
  ): Promise<(ApprovalRow & { entity: string; recordId: number; requestedAt: string })[]> {
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT id, entity, record_id, workflow, workflow_version, action, requester, reason, fields, required, status, requested_at
         FROM wf_approval WHERE tenant_id = ? AND status = 'PENDING' ORDER BY id LIMIT ${Math.floor(limit)}`,
      [tenant],
    );
    const result = [];
    for (const row of rows) {
      const votes = await sql.query<{ approver: string; decision: string }>(
        'SELECT approver, decision FROM wf_approval_vote WHERE approval_id = ? ORDER BY id',
        [row.id],
      );
      result.push({
        id: Number(row.id),
        entity: String(row.entity),
        recordId: Number(row.record_id),
        requestedAt: String(row.requested_at),
        workflow: String(row.workflow),
        workflowVersion: Number(row.workflow_version),
        action: String(row.action),
        requester: String(row.requester),
        reason: row.reason === null ? null : String(row.reason),
        fields: JSON.parse(String(row.fields)) as Record<string, unknown>,
        required: Number(row.required),
        status: String(row.status),
        votes: votes.map((vote) => ({
          approver: vote.approver,
          decision: vote.decision === 'reject' ? ('reject' as const) : ('approve' as const),
        })),
      });
    }
    return result;
  }

  async pendingApproval(tx: SqlExecutor, ref: RecordRef, action: string): Promise<ApprovalRow | null> {
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT id, workflow, workflow_version, action, requester, reason, fields, required, status FROM wf_approval
        WHERE tenant_id = ? AND entity = ? AND record_id = ? AND action = ? AND status = 'PENDING'${tx.dialect.name === 'mysql' ? ' FOR UPDATE' : ''}`,
      [ref.tenant, ref.entity, ref.recordId, action],
    );
    const row = rows[0];
    if (!row) return null;
    const votes = await tx.query<{ approver: string; decision: string }>(
      'SELECT approver, decision FROM wf_approval_vote WHERE approval_id = ? ORDER BY id',
      [row.id],
    );
    return {
      id: Number(row.id),
      workflow: String(row.workflow),
      workflowVersion: Number(row.workflow_version),
      action: String(row.action),
      requester: String(row.requester),
      reason: row.reason === null ? null : String(row.reason),
      fields: JSON.parse(String(row.fields)) as Record<string, unknown>,
      required: Number(row.required),
      status: String(row.status),
      votes: votes.map((vote) => ({
        approver: vote.approver,
        decision: vote.decision === 'reject' ? 'reject' : 'approve',
      })),
    };
  }

  async requestApproval(
    tx: SqlExecutor,
    ref: RecordRef,
    request: {
      def: WorkflowDef;
      action: string;
      requester: string;
      reason: string | null;
      fields: Record<string, unknown>;
      required: number;
    },
  ): Promise<number> {
    const result = await tx.execute(
      `INSERT INTO wf_approval (tenant_id, entity, record_id, workflow, workflow_version, action, requester, reason, fields,
         required, status, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?)`,
      [
        ref.tenant,
        ref.entity,
        ref.recordId,
        request.def.workflow,
        request.def.version,
        request.action,
        request.requester,
        request.reason,
        JSON.stringify(request.fields),
        request.required,
        sqlTime(new Date()),
      ],
    );
    return result.insertId;
  }

  async recordVote(
    tx: SqlExecutor,
    approvalId: number,
    vote: ApprovalVote,
    comment: string | null,
  ): Promise<void> {
    await tx.execute(
      'INSERT INTO wf_approval_vote (approval_id, approver, decision, comment, voted_at) VALUES (?, ?, ?, ?, ?)',
      [approvalId, vote.approver, vote.decision, comment, sqlTime(new Date())],
    );
  }

  async closeApproval(tx: SqlExecutor, approvalId: number, status: 'APPROVED' | 'REJECTED'): Promise<void> {
    await tx.execute('UPDATE wf_approval SET status = ?, decided_at = ? WHERE id = ?', [
      status,
      sqlTime(new Date()),
      approvalId,
    ]);
  }
}
