import type { EntityRecord, PluginApi } from '../../../platform/src/plugins/plugin-api';
import { num, round } from './records';

/** States in which a purchase order's lines, prices and supplier may still change (before approval). */
const EDITABLE_ORDER_STATES = new Set(['DRAFT', 'REJECTED']);
const PRICED_ORDER_FIELDS = ['lines', 'taxRate', 'supplierId', 'currency'];

/**
 * Merges the lines sent in a write with the stored ones: a sent line with an `id` patches the stored
 * line, one without is new, stored lines not sent are removed (the engine's children semantics).
 */
function effectiveLines(sent: unknown, stored: EntityRecord[]): EntityRecord[] {
  if (!Array.isArray(sent)) return stored;
  const byId = new Map(stored.map((line) => [line.id, line]));
  return (sent as EntityRecord[]).map((line) =>
    typeof line.id === 'number' ? { ...byId.get(line.id), ...line } : line,
  );
}

/**
 * Line amounts, subtotal and total of purchase orders and the estimated amount of requisitions are
 * derived on every write, so the approval threshold (`total_amount`) always matches the lines. An
 * order's priced content is frozen once submitted: changing it after approval would bypass the
 * approvers.
 */
export function registerOrderAmounts(api: PluginApi): void {
  api.hooks.beforeWrite(
    { entity: 'purchase_order', action: '*' },
    async ({ action, body, current, id, ctx }) => {
      if (action !== 'create' && action !== 'update') return;
      const status = String(current?.status ?? 'DRAFT');
      const touched = PRICED_ORDER_FIELDS.filter((field) => field in body);
      if (action === 'update' && touched.length > 0 && !EDITABLE_ORDER_STATES.has(status)) {
        throw api.errors.businessRule(
          'order-locked',
          `Purchase order ${String(current?.poNo)} is ${status}: ${touched.join(', ')} can only change in DRAFT or REJECTED`,
        );
      }
      if (typeof body.supplierId === 'number') {
        const supplier = await api.entities.get('supplier_master', body.supplierId, ctx);
        body.supplierName = supplier.supplierName ?? null;
      }
      if (action === 'update' && !('lines' in body) && !('taxRate' in body)) return;
      const stored =
        action === 'update' && id !== null
          ? (((await api.entities.get('purchase_order', id, ctx)).lines as EntityRecord[] | undefined) ?? [])
          : [];
      const lines = effectiveLines(body.lines, stored);
      let subtotal = 0;
      for (const line of lines) {
        const amount = round(num(line.quantity) * num(line.unitPrice), 2);
        line.amount = amount;
        subtotal += amount;
      }
      if (Array.isArray(body.lines)) {
        (body.lines as EntityRecord[]).forEach((line, i) => (line.amount = lines[i]!.amount));
      }
      const taxRate = num(body.taxRate ?? current?.taxRate ?? 13);
      body.subtotalAmount = round(subtotal, 2);
      body.totalAmount = round(subtotal * (1 + taxRate / 100), 2);
    },
  );

  api.hooks.beforeWrite(
    { entity: 'purchase_requisition', action: '*' },
    async ({ action, body, id, ctx }) => {
      if (action === 'delete' || !('lines' in body)) return;
      const stored =
        action === 'update' && id !== null
          ? (((await api.entities.get('purchase_requisition', id, ctx)).lines as
              EntityRecord[] | undefined) ?? [])
          : [];
      const lines = effectiveLines(body.lines, stored);
      const estimate = lines.reduce((sum, line) => sum + num(line.quantity) * num(line.estimatedPrice), 0);
      body.estimatedAmount = round(estimate, 2);
    },
  );
}
