import type { PluginApi } from '../../../platform/src/plugins/plugin-api';

/**
 * Mirrors the guards of `approve` (total ≤ 100 000, one approver) and `approve_large` (above, two
 * approvers) in purchase-order-lifecycle.yaml: the amount decides which approval path opens.
 */
const SINGLE_APPROVER_LIMIT = 100_000;

/**
 * Submitting is asking for approval: the submitter's `submit` opens the approval request of the path
 * the amount selects, in the submitter's name, so purchase approvers only vote (n of m, never the
 * submitter). Requisitions likewise open their single-approver request on submit.
 */
export function registerApprovals(api: PluginApi): void {
  api.hooks.afterTransition({ entity: 'purchase_order', action: 'submit' }, async ({ ctx, id, record }) => {
    const action = Number(record.totalAmount) > SINGLE_APPROVER_LIMIT ? 'approve_large' : 'approve';
    await api.workflows.fire(ctx, 'purchase_order', id, action);
  });

  api.hooks.afterTransition({ entity: 'purchase_requisition', action: 'submit' }, async ({ ctx, id }) => {
    await api.workflows.fire(ctx, 'purchase_requisition', id, 'approve');
  });
}
