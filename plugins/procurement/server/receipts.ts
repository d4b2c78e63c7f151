import type {
  EntityRecord,
  PluginApi,
  PluginFieldError,
  RequestContext,
  SqlExecutor,
} from '../../../platform/src/plugins/plugin-api';
import { iqcSampleSize } from './sampling';
import { orderLineReceipt } from './order-line-receipt-store';
import { num, round } from './records';

/** Inspection results that decide a lot; SPECIAL is a concession (accepted although it failed). */
const DECIDED_RESULTS = new Set(['PASS', 'FAIL', 'SPECIAL']);
const ACCEPTED_RESULTS = new Set(['PASS', 'SPECIAL']);
const RECEIVABLE_ORDER_STATES = new Set(['ORDERED', 'PARTIALLY_RECEIVED']);
/** Receipts whose quantities are on their way to stock but not yet accepted or rejected. */
const OPEN_RECEIPT_STATES = 'RECEIVED,INSPECTED';
const QUANTITY_EPSILON = 1e-9;

const linesOf = (record: EntityRecord): EntityRecord[] => (record.lines as EntityRecord[] | undefined) ?? [];

/**
 * Goods receipt against a purchase order:
 * - draft and receipt: every line names a line of the order, with the same item, within the quantity
 *   still open (ordered − accepted − on other open receipts);
 * - `receive` creates the IQC inspection in core (sample size from the lot size) and records whether
 *   the delivery was on time;
 * - the inspection's verdict advances the receipt: `inspect`, then `accept` on PASS or concession; a
 *   failed lot waits for the receiver's `reject` (or a concession);
 * - `accept` posts one stock receipt per line through the engine (balances, GRN → SLOT genealogy),
 *   then rolls the accepted quantities up to the order lines and the order's status.
 * Steps that cross into core run after commit, so a reconcile job re-drives any receipt or order left
 * behind by a failure; every step is idempotent.
 */
export function registerReceipts(api: PluginApi): void {
  api.hooks.beforeWrite(
    { entity: 'goods_receipt', action: '*' },
    async ({ action, body, current, id, ctx }) => {
      if (action === 'delete') {
        if (current && current.status !== 'DRAFT') {
          throw api.errors.businessRule(
            'receipt-locked',
            `Goods receipt ${String(current.grnNo)} is ${String(current.status)}: only a DRAFT can be deleted`,
          );
        }
        return;
      }
      const touchesOrder = ['lines', 'purchaseOrderId', 'supplierId', 'receiptType'].some((f) => f in body);
      if (!touchesOrder) return;
      if (current && current.status !== 'DRAFT') {
        throw api.errors.businessRule(
          'receipt-locked',
          `Goods receipt ${String(current.grnNo)} is ${String(current.status)}: its order, supplier and lines can only change in DRAFT`,
        );
      }
      const stored =
        action === 'update' && id !== null ? await api.entities.get('goods_receipt', id, ctx) : {};
      const receipt = { ...stored, ...body, lines: mergeLines(body.lines, linesOf(stored)) };
      await checkAgainstOrder(api, ctx, receipt, id);
    },
  );

  api.hooks.beforeTransition({ entity: 'goods_receipt', action: 'receive' }, async ({ tx, ctx, after }) => {
    const receipt = await api.entities.get('goods_receipt', Number(after.id), ctx);
    const order = await checkAgainstOrder(api, ctx, receipt, Number(after.id));
    const inspection = await ensureIqcInspection(api, ctx, receipt);
    await api.entities.setSystemFields(
      tx,
      ctx,
      'goods_receipt',
      { id: after.id },
      {
        iqc_inspection: inspection.id,
        on_time: order ? onTime(String(receipt.grnDate), order) : null,
      },
    );
  });

  // The verdict lives on the inspection in core: a workflow guard cannot read it, these hooks do.
  api.hooks.beforeTransition({ entity: 'goods_receipt', action: 'inspect' }, async ({ tx, ctx, after }) => {
    const result = await inspectionResult(api, ctx, after);
    if (!DECIDED_RESULTS.has(result)) {
      throw api.errors.businessRule(
        'iqc-pending',
        `Goods receipt ${String(after.grnNo)} needs a completed IQC inspection (it is ${result})`,
      );
    }
    await api.entities.setSystemFields(
      tx,
      ctx,
      'goods_receipt_line',
      { goods_receipt: after.id },
      { status: 'INSPECTED' },
    );
  });

  api.hooks.beforeTransition({ entity: 'goods_receipt', action: 'accept' }, async ({ tx, ctx, after }) => {
    const result = await inspectionResult(api, ctx, after);
    if (!ACCEPTED_RESULTS.has(result)) {
      throw api.errors.businessRule(
        'iqc-not-passed',
        `Only a passed or conceded IQC can be accepted; goods receipt ${String(after.grnNo)} is ${result}`,
      );
    }
    const receipt = await api.entities.get('goods_receipt', Number(after.id), ctx);
    for (const line of linesOf(receipt)) {
      const transactionNo = await postStockReceipt(api, ctx, receipt, line);
      await api.entities.setSystemFields(
        tx,
        ctx,
        'goods_receipt_line',
        { id: line.id },
        {
          status: 'ACCEPTED',
          accepted_quantity: num(line.quantity),
          rejected_quantity: 0,
          transaction_no: transactionNo,
        },
      );
    }
    await rollUpOrderLines(
      api,
      tx,
      ctx,
      linesOf(receipt).map((line) => line.poLineId),
    );
  });

  api.hooks.beforeTransition({ entity: 'goods_receipt', action: 'reject' }, async ({ tx, ctx, after }) => {
    const receipt = await api.entities.get('goods_receipt', Number(after.id), ctx);
    for (const line of linesOf(receipt)) {
      await api.entities.setSystemFields(
        tx,
        ctx,
        'goods_receipt_line',
        { id: line.id },
        {
          status: 'REJECTED',
          accepted_quantity: 0,
          rejected_quantity: num(line.quantity),
        },
      );
    }
  });

  api.hooks.afterTransition({ entity: 'goods_receipt', action: 'accept' }, async ({ ctx, record }) => {
    if (typeof record.purchaseOrderId === 'number') await syncOrderStatus(api, ctx, record.purchaseOrderId);
  });

  api.hooks.afterTransition({ entity: 'inspection', action: '*' }, async ({ ctx, record }) => {
    if (record.inspectionType !== 'IQC' || record.refType !== 'GRN') return;
    if (!DECIDED_RESULTS.has(String(record.result))) return;
    await advanceReceipt(api, ctx, String(record.refId)).catch((error: unknown) => {
      // The inspection stands; the reconcile job advances the receipt later.
      api.logger.warn('receipt not advanced after its IQC verdict', {
        grnNo: record.refId,
        error: describe(error),
      });
      throw error;
    });
  });

  // Receipt quantities drive the order's received states: a manual transition must agree with them.
  api.hooks.beforeTransition({ entity: 'purchase_order', action: 'receive_all' }, async ({ ctx, after }) => {
    const open = (await openOrderLines(api, ctx, Number(after.id))).map((line) => line.lineNo);
    if (open.length > 0) {
      throw api.errors.businessRule(
        'order-not-fully-received',
        `Purchase order ${String(after.poNo)} still has open quantity on line(s) ${open.join(', ')}`,
      );
    }
  });
  api.hooks.beforeTransition(
    { entity: 'purchase_order', action: 'receive_partial' },
    async ({ ctx, after }) => {
      const order = await api.entities.get('purchase_order', Number(after.id), ctx);
      if (!linesOf(order).some((line) => num(line.receivedQuantity) > 0)) {
        throw api.errors.businessRule(
          'order-nothing-received',
          `Purchase order ${String(after.poNo)} has no accepted receipt yet`,
        );
      }
    },
  );

  api.jobs.schedule(
    {
      name: 'receipt-reconcile',
      cron: '*/10 * * * *',
      description:
        'Re-drives goods receipts waiting on a decided inspection and orders whose status lags their lines',
    },
    async ({ ctx }) => {
      await reconcileReceipts(api, ctx).catch((error: unknown) => {
        api.logger.warn('receipt reconcile failed; the next run retries', { error: describe(error) });
        throw error;
      });
    },
  );
}

/** Re-drives receipts waiting on a decided inspection and orders whose status lags their lines. */
export async function reconcileReceipts(api: PluginApi, ctx: RequestContext): Promise<void> {
  const waiting = await api.entities.listAll('goods_receipt', { status: { in: OPEN_RECEIPT_STATES } }, ctx);
  for (const receipt of waiting) await advanceReceipt(api, ctx, String(receipt.grnNo));
  const orders = await api.entities.listAll(
    'purchase_order',
    { status: { in: 'ORDERED,PARTIALLY_RECEIVED' } },
    ctx,
  );
  for (const order of orders) await syncOrderStatus(api, ctx, Number(order.id));
}

async function inspectionResult(api: PluginApi, ctx: RequestContext, receipt: EntityRecord): Promise<string> {
  if (typeof receipt.iqcInspectionId !== 'number') return 'missing';
  return String((await api.entities.get('inspection', receipt.iqcInspectionId, ctx)).result);
}

function describe(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { message: error.message, ...(error as unknown as Record<string, unknown>) };
}

function mergeLines(sent: unknown, stored: EntityRecord[]): EntityRecord[] {
  if (!Array.isArray(sent)) return stored;
  const byId = new Map(stored.map((line) => [line.id, line]));
  return (sent as EntityRecord[]).map((line) =>
    typeof line.id === 'number' ? { ...byId.get(line.id), ...line } : line,
  );
}

/**
 * Checks a purchase receipt against its order; returns the order (null for returns and transfers,
 * which have none). Refuses with 422 naming each failing field.
 */
async function checkAgainstOrder(
  api: PluginApi,
  ctx: RequestContext,
  receipt: EntityRecord,
  receiptId: number | null,
): Promise<EntityRecord | null> {
  if ((receipt.receiptType ?? 'PURCHASE') !== 'PURCHASE' || typeof receipt.purchaseOrderId !== 'number')
    return null;
  const order = await api.entities.get('purchase_order', receipt.purchaseOrderId, ctx);
  if (!RECEIVABLE_ORDER_STATES.has(String(order.status))) {
    throw api.errors.businessRule(
      'order-not-open',
      `Purchase order ${String(order.poNo)} is ${String(order.status)}: goods are received only against ORDERED or PARTIALLY_RECEIVED orders`,
    );
  }
  const errors: PluginFieldError[] = [];
  if (receipt.supplierId !== order.supplierId) {
    errors.push({
      field: 'supplierId',
      path: '/supplierId',
      rule: 'supplier-mismatch',
      message: `The receipt's supplier must be the order's supplier (${String(order.supplierName ?? order.supplierId)})`,
    });
  }
  const orderLines = new Map(linesOf(order).map((line) => [line.id, line]));
  const pending = await pendingQuantities(api, ctx, receipt.purchaseOrderId, receiptId);
  const receiving = new Map<unknown, number>();
  linesOf(receipt).forEach((line, i) => {
    const at = (field: string) => ({ field: `lines.${i}.${field}`, path: `/lines/${i}/${field}` });
    const orderLine = orderLines.get(line.poLineId);
    if (!orderLine) {
      errors.push({
        ...at('poLineId'),
        rule: 'po-line',
        message: `Line ${i + 1} must name a line of purchase order ${String(order.poNo)}`,
      });
      return;
    }
    if (line.itemId !== orderLine.itemId) {
      errors.push({
        ...at('itemId'),
        rule: 'item-mismatch',
        message: `Line ${i + 1} must receive the item of order line ${String(orderLine.lineNo)}`,
      });
    }
    const total = (receiving.get(line.poLineId) ?? 0) + num(line.quantity);
    receiving.set(line.poLineId, total);
    const open =
      num(orderLine.quantity) - num(orderLine.receivedQuantity) - (pending.get(Number(orderLine.id)) ?? 0);
    if (total > open + QUANTITY_EPSILON) {
      errors.push({
        ...at('quantity'),
        rule: 'over-receipt',
        message: `Order line ${String(orderLine.lineNo)} has ${round(Math.max(open, 0), 4)} open; ${round(total, 4)} cannot be received`,
      });
    }
  });
  if (errors.length > 0) throw api.errors.validation(errors, 'The receipt does not match its purchase order');
  return order;
}

/** Quantities by order line on the order's other receipts that are received but not yet decided. */
async function pendingQuantities(
  api: PluginApi,
  ctx: RequestContext,
  orderId: number,
  exceptReceiptId: number | null,
): Promise<Map<number, number>> {
  const receipts = await api.entities.listAll(
    'goods_receipt',
    { purchaseOrderId: orderId, status: { in: OPEN_RECEIPT_STATES } },
    ctx,
  );
  const ids = receipts.map((r) => Number(r.id)).filter((rid) => rid !== exceptReceiptId);
  const pending = new Map<number, number>();
  if (ids.length === 0) return pending;
  const lines = await api.entities.listAll(
    'goods_receipt_line',
    { goodsReceiptId: { in: ids.join(',') } },
    ctx,
  );
  for (const line of lines) {
    const key = Number(line.poLineId);
    pending.set(key, (pending.get(key) ?? 0) + num(line.quantity));
  }
  return pending;
}

/** On time when received on or before the promised date (else the required date); null without either. */
function onTime(receivedOn: string, order: EntityRecord): boolean | null {
  const due = order.promisedDate ?? order.requiredDate;
  return typeof due === 'string' ? receivedOn.slice(0, 10) <= due : null;
}

/** The receipt's IQC inspection: the one already created for it (a retried receive), else a new one. */
async function ensureIqcInspection(
  api: PluginApi,
  ctx: RequestContext,
  receipt: EntityRecord,
): Promise<EntityRecord> {
  const existing = await api.entities.listAll(
    'inspection',
    { inspectionType: 'IQC', refType: 'GRN', refId: String(receipt.grnNo), status: { ne: 'CANCELLED' } },
    ctx,
  );
  if (existing[0]) return existing[0];
  const lines = linesOf(receipt);
  const lotSize = lines.reduce((sum, line) => sum + num(line.quantity), 0);
  const items = [...new Set(lines.map((line) => line.itemId))];
  const lots = [...new Set(lines.map((line) => line.supplierLot).filter((lot) => typeof lot === 'string'))];
  return api.entities.create(
    'inspection',
    {
      inspectionType: 'IQC',
      refType: 'GRN',
      refId: String(receipt.grnNo),
      supplierId: receipt.supplierId,
      ...(items.length === 1 ? { itemId: items[0] } : {}),
      ...(lots.length === 1 ? { supplierLot: lots[0] } : {}),
      lotSize,
      sampleSize: iqcSampleSize(lotSize),
      aqlLevel: 'II',
      inspectorId: receipt.iqcInspectorId,
      inspectionDate: new Date().toISOString(),
    },
    ctx,
  );
}

/** The stock receipt (IN) of one receipt line: the one already posted for it, else a new one. */
async function postStockReceipt(
  api: PluginApi,
  ctx: RequestContext,
  receipt: EntityRecord,
  line: EntityRecord,
): Promise<string> {
  const reason = `GRN line ${String(line.lineNo)}`;
  const [posted] = await api.entities.listAll(
    'stock_transaction',
    { referenceType: 'GRN', referenceId: String(receipt.grnNo), reason },
    ctx,
  );
  if (posted) return String(posted.transactionNo);
  const unitPrice =
    typeof line.poLineId === 'number' ? await orderLinePrice(api, ctx, receipt, line.poLineId) : null;
  const created = await api.entities.create(
    'stock_transaction',
    {
      transactionType: 'IN',
      itemId: line.itemId,
      lotNo: typeof line.supplierLot === 'string' ? line.supplierLot : null,
      toLocationId: line.locationId ?? receipt.locationId,
      quantity: num(line.quantity),
      ...(unitPrice === null
        ? {}
        : { unitCost: unitPrice, totalCost: round(unitPrice * num(line.quantity), 2) }),
      referenceType: 'GRN',
      referenceId: String(receipt.grnNo),
      reason,
      occurredAt: new Date().toISOString(),
    },
    ctx,
  );
  return String(created.transactionNo);
}

async function orderLinePrice(
  api: PluginApi,
  ctx: RequestContext,
  receipt: EntityRecord,
  orderLineId: number,
): Promise<number | null> {
  if (typeof receipt.purchaseOrderId !== 'number') return null;
  const order = await api.entities.get('purchase_order', receipt.purchaseOrderId, ctx);
  const line = linesOf(order).find((l) => l.id === orderLineId);
  return line ? num(line.unitPrice) : null;
}

/**
 * Received quantity of each order line = accepted quantity of its accepted receipt lines, summed in
 * the accepting transaction (so it counts the lines just accepted); the line status follows.
 */
async function rollUpOrderLines(
  api: PluginApi,
  tx: SqlExecutor,
  ctx: RequestContext,
  orderLineIds: unknown[],
): Promise<void> {
  for (const id of new Set(orderLineIds.filter((v): v is number => typeof v === 'number'))) {
    const quantities = await orderLineReceipt(tx, ctx, id);
    const accepted = round(num(quantities.accepted), 4);
    const ordered = num(quantities.ordered);
    const status =
      accepted + QUANTITY_EPSILON >= ordered ? 'RECEIVED' : accepted > 0 ? 'PARTIALLY_RECEIVED' : 'PENDING';
    await api.entities.setSystemFields(
      tx,
      ctx,
      'purchase_order_line',
      { id },
      { received_quantity: accepted, status },
    );
  }
}

async function openOrderLines(api: PluginApi, ctx: RequestContext, orderId: number): Promise<EntityRecord[]> {
  const order = await api.entities.get('purchase_order', orderId, ctx);
  return linesOf(order).filter(
    (line) =>
      line.status !== 'CANCELLED' && num(line.receivedQuantity) + QUANTITY_EPSILON < num(line.quantity),
  );
}

/** Moves an ORDERED or PARTIALLY_RECEIVED order to the state its lines' received quantities say. */
async function syncOrderStatus(api: PluginApi, ctx: RequestContext, orderId: number): Promise<void> {
  const order = await api.entities.get('purchase_order', orderId, ctx);
  if (!RECEIVABLE_ORDER_STATES.has(String(order.status))) return;
  if ((await openOrderLines(api, ctx, orderId)).length === 0) {
    await api.workflows.fire(ctx, 'purchase_order', orderId, 'receive_all');
  } else if (order.status === 'ORDERED' && linesOf(order).some((line) => num(line.receivedQuantity) > 0)) {
    await api.workflows.fire(ctx, 'purchase_order', orderId, 'receive_partial');
  }
}

/** Advances a receipt after its IQC verdict: inspect, then accept a passed or conceded lot. */
async function advanceReceipt(api: PluginApi, ctx: RequestContext, grnNo: string): Promise<void> {
  const [receipt] = await api.entities.listAll('goods_receipt', { grnNo }, ctx);
  if (!receipt || typeof receipt.iqcInspectionId !== 'number') return;
  const inspection = await api.entities.get('inspection', receipt.iqcInspectionId, ctx);
  const result = String(inspection.result);
  if (!DECIDED_RESULTS.has(result)) return;
  let status = String(receipt.status);
  if (status === 'RECEIVED') {
    status = (await api.workflows.fire(ctx, 'goods_receipt', Number(receipt.id), 'inspect')).to;
  }
  if (status === 'INSPECTED' && ACCEPTED_RESULTS.has(result)) {
    await api.workflows.fire(ctx, 'goods_receipt', Number(receipt.id), 'accept');
  }
}
