import type { EntityRecord, PluginApi, RequestContext } from '../../../platform/src/plugins/plugin-api';
import { isoDate } from './records';

interface ConversionBody {
  supplierId?: unknown;
  buyerId?: unknown;
  poDate?: unknown;
  promisedDate?: unknown;
  /** Unit prices by item id; a line without one takes its requisition line's estimated price. */
  unitPrices?: unknown;
}

function positiveId(api: PluginApi, value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw api.errors.validation([
    { field, path: `/${field}`, rule: 'required', message: `${field} must be the id of an existing record` },
  ]);
}

/**
 * Purchase requisition → purchase order: `POST /api/plugins/procurement/requisitions/:id/purchase-order`
 * turns an APPROVED requisition into one DRAFT purchase order (lines copied, requisition linked) and
 * fires the requisition's `convert`; inside that transition the requisition lines get the order.
 * Calling it again after a failure reuses the order already created for the requisition.
 */
export function registerRequisitionConversion(api: PluginApi): void {
  api.routes.post('/requisitions/:id/purchase-order', async ({ params, body, ctx }) => {
    const requisitionId = Number(params.id);
    const requisition = await api.entities.get('purchase_requisition', requisitionId, ctx);
    if (requisition.status !== 'APPROVED') {
      throw api.errors.businessRule(
        'requisition-not-approved',
        `Requisition ${String(requisition.prNo)} is ${String(requisition.status)}; only an APPROVED requisition becomes a purchase order`,
      );
    }
    const order =
      (await existingOrder(api, requisitionId, ctx)) ??
      (await api.entities.create(
        'purchase_order',
        orderFromRequisition(api, requisition, (body ?? {}) as ConversionBody, ctx),
        ctx,
      ));
    await api.workflows.fire(ctx, 'purchase_requisition', requisitionId, 'convert');
    return api.entities.get('purchase_order', Number(order.id), ctx);
  });

  api.hooks.beforeTransition(
    { entity: 'purchase_requisition', action: 'convert' },
    async ({ tx, ctx, after }) => {
      const order = await existingOrder(api, Number(after.id), ctx);
      if (!order) {
        throw api.errors.businessRule(
          'requisition-without-order',
          `Requisition ${String(after.prNo)} has no purchase order yet: convert it through /api/plugins/procurement/requisitions/${String(after.id)}/purchase-order`,
        );
      }
      await api.entities.setSystemFields(
        tx,
        ctx,
        'purchase_requisition_line',
        { requisition: after.id },
        { purchase_order: order.id },
      );
    },
  );
}

async function existingOrder(
  api: PluginApi,
  requisitionId: number,
  ctx: RequestContext,
): Promise<EntityRecord | null> {
  const orders = await api.entities.listAll(
    'purchase_order',
    { requisitionId, status: { ne: 'CANCELLED' } },
    ctx,
  );
  return orders[0] ?? null;
}

function orderFromRequisition(
  api: PluginApi,
  requisition: EntityRecord,
  body: ConversionBody,
  ctx: RequestContext,
): EntityRecord {
  const lines = (requisition.lines as EntityRecord[] | undefined) ?? [];
  const suggested = [
    ...new Set(lines.map((l) => l.suggestedSupplierId).filter((s) => typeof s === 'number')),
  ];
  const supplierId = positiveId(
    api,
    body.supplierId ?? (suggested.length === 1 ? suggested[0] : undefined),
    'supplierId',
  );
  const buyerId = positiveId(api, body.buyerId ?? Number(ctx.userId), 'buyerId');
  const prices = (
    typeof body.unitPrices === 'object' && body.unitPrices !== null ? body.unitPrices : {}
  ) as Record<string, unknown>;
  return {
    supplierId,
    buyerId,
    requisitionId: requisition.id,
    poDate: typeof body.poDate === 'string' ? body.poDate : isoDate(new Date()),
    requiredDate: requisition.requiredDate ?? null,
    ...(typeof body.promisedDate === 'string' ? { promisedDate: body.promisedDate } : {}),
    currency: requisition.currency ?? 'CNY',
    lines: lines.map((line, i) => ({
      lineNo: i + 1,
      itemId: line.itemId,
      quantity: line.quantity,
      ...(typeof line.uomId === 'number' ? { uomId: line.uomId } : {}),
      unitPrice: Number(prices[String(line.itemId)] ?? line.estimatedPrice ?? 0),
      requiredDate: line.requiredDate ?? requisition.requiredDate ?? null,
    })),
  };
}
