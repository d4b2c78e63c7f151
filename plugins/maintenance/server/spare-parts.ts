import type { EntityRecord, PluginApi } from '../../../platform/src/plugins/plugin-api';
import { num, round } from './records';

/** Spare parts are drawn while the job is planned or under way, not after it is done. */
const ISSUING_STATES = new Set(['SCHEDULED', 'IN_PROGRESS']);

/**
 * Spare parts leave core inventory as an ISSUE stock transaction through the engine (balances, no
 * negative stock: 422 when the location lacks it). The usage row is written only after the issue
 * succeeded and carries its transaction number; the order's parts and total cost follow.
 * `POST /api/plugins/maintenance/orders/:id/spare-parts` `{ itemId, quantity, locationId, lotNo?, unitCost? }`.
 */
export function registerSpareParts(api: PluginApi): void {
  api.hooks.beforeWrite({ entity: 'spare_part_usage', action: '*' }, async ({ action, body, ctx }) => {
    if (action !== 'create') {
      throw api.errors.businessRule(
        'spare-part-issued',
        'An issued spare part is a stock movement: return it to stock instead of editing or deleting the usage',
      );
    }
    const order = await api.entities.get('maintenance_order', Number(body.maintenanceOrderId), ctx);
    if (!ISSUING_STATES.has(String(order.status))) {
      throw api.errors.businessRule(
        'order-not-active',
        `Maintenance order ${String(order.moNo)} is ${String(order.status)}: spare parts are issued to SCHEDULED or IN_PROGRESS orders`,
      );
    }
    if (typeof body.locationId !== 'number') {
      throw api.errors.validation([
        {
          field: 'locationId',
          path: '/locationId',
          rule: 'required',
          message: 'locationId (the store issuing the part) is required',
        },
      ]);
    }
    const item = await api.entities.get('item_master', Number(body.itemId), ctx);
    const unitCost = num(body.unitCost ?? item.unitCost);
    const quantity = num(body.quantity);
    const issued = await api.entities.create(
      'stock_transaction',
      {
        transactionType: 'ISSUE',
        itemId: body.itemId,
        lotNo: typeof body.lotNo === 'string' && body.lotNo !== '' ? body.lotNo : null,
        fromLocationId: body.locationId,
        quantity,
        unitCost,
        totalCost: round(unitCost * quantity, 2),
        referenceType: 'MANUAL',
        referenceId: String(order.moNo),
        reason: `Spare parts for maintenance order ${String(order.moNo)}`,
        occurredAt: new Date().toISOString(),
      },
      ctx,
    );
    Object.assign(body, {
      unitCost,
      amount: round(unitCost * quantity, 2),
      issuedAt: issued.occurredAt,
      transactionNo: issued.transactionNo,
    });
  });

  api.routes.post('/orders/:id/spare-parts', async ({ params, body, ctx }) => {
    const orderId = Number(params.id);
    const input = (typeof body === 'object' && body !== null ? body : {}) as EntityRecord;
    const usage = await api.entities.create(
      'spare_part_usage',
      {
        maintenanceOrderId: orderId,
        itemId: input.itemId,
        quantity: input.quantity,
        locationId: input.locationId,
        ...(input.lotNo !== undefined ? { lotNo: input.lotNo } : {}),
        ...(input.unitCost !== undefined ? { unitCost: input.unitCost } : {}),
      },
      ctx,
    );
    const order = await api.entities.get('maintenance_order', orderId, ctx);
    // An empty update re-derives the order's parts and total cost (maintenance-orders.ts).
    await api.entities.update('maintenance_order', orderId, { version: order.version }, ctx);
    return usage;
  });
}
