/**
 * Maintenance on the real server: the preventive schedule (driven with an explicit clock through the
 * same generation the hourly job runs) creates one order per plan occurrence, calendar and usage;
 * the order goes requested → approved (a planner other than the requester) → scheduled → in progress
 * → done → verified, spare parts leave stock through the inventory engine, verification rolls the
 * plan forward; an emergency order needs no approval and its breakdown is recorded as downtime.
 */
import type { TestDialect } from './plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number; version: number };
type Generation = { created: string[]; skipped: { planCode: string; reason: string }[] };

describe.each<TestDialect>(TEST_DIALECTS)(
  'maintenance orders and the preventive schedule on %s',
  (dialect) => {
    let env: BusinessServer;
    let admin: Call;
    let planner: Call;
    let approver: Call;
    let technician: Call;
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      env = await bootBusinessServer(dialect, 'maintenance_flow');
      admin = env.as('admin');
      ok(await admin('POST', '/api/admin/plugins', { source: 'maintenance', enable: true }));
      await env.addUser('planner1', ['maintenance_planner']);
      await env.addUser('planner2', ['maintenance_planner']);
      await env.addUser('tech1', ['maintenance_technician']);
      [planner, approver, technician] = ['planner1', 'planner2', 'tech1'].map((name) => env.as(name));
      ids.press = ok(
        await admin<Rec>('POST', '/api/equipment', { equipmentCode: 'PRS-01', equipmentName: 'Press 1' }),
      ).id;
      ids.moulder = ok(
        await admin<Rec>('POST', '/api/equipment', { equipmentCode: 'IMM-02', equipmentName: 'Moulder 2' }),
      ).id;
      const uom = ok(await admin<Rec>('POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' }));
      ids.bearing = ok(
        await admin<Rec>('POST', '/api/items', {
          itemName: 'Spindle bearing',
          itemType: 'CONSUMABLE',
          uomId: uom.id,
        }),
      ).id;
      ids.store = ok(
        await admin<Rec>('POST', '/api/locations', {
          locationName: 'Spares store',
          locationType: 'WAREHOUSE',
        }),
      ).id;
      ok(
        await admin('POST', '/api/stock-transactions', {
          transactionType: 'IN',
          itemId: ids.bearing,
          toLocationId: ids.store,
          quantity: 10,
          referenceType: 'MANUAL',
          occurredAt: '2026-11-01T08:00:00.000Z',
        }),
      );
    }, 240_000);
    afterAll(async () => {
      await env?.close();
    });

    const generate = async (asOf: string) =>
      ok(await planner<Generation>('POST', '/api/plugins/maintenance/preventive-orders/generate', { asOf }));
    const stockOf = async (itemId: number) =>
      ok(await admin<{ items: Rec[] }>('GET', `/api/stock?filter[itemId]=${itemId}`)).items.map(
        (s) => s.quantity,
      );
    let orderId: number;

    it('creates the order of a calendar plan when it falls due (lead days before), once per occurrence', async () => {
      const plan = ok(
        await planner<Rec>('POST', '/api/maintenance-plans', {
          planName: 'Monthly lubrication',
          equipmentId: ids.press,
          triggerType: 'CALENDAR',
          intervalValue: 1,
          intervalUnit: 'MONTH',
          leadDays: 3,
          nextDueAt: '2026-12-01T00:00:00.000Z',
          plannerId: env.userId('planner1'),
          defaultAssigneeId: env.userId('tech1'),
          taskTemplate: [
            { task_type: 'LUBRICATION', description: 'Grease spindle bearings', standard: '2 g each' },
            { task_type: 'INSPECTION', description: 'Check belt tension' },
          ],
        }),
      );
      ids.calendarPlan = plan.id;
      expect((await generate('2026-11-20T00:00:00.000Z')).created).toEqual([]);
      const due = await generate('2026-11-28T06:00:00.000Z');
      expect(due.created).toHaveLength(1);
      const again = await generate('2026-11-29T06:00:00.000Z');
      expect(again).toMatchObject({
        created: [],
        skipped: [{ planCode: plan.planCode, reason: 'order-exists' }],
      });

      const orders = ok(
        await planner<{ items: Rec[] }>(
          'GET',
          `/api/maintenance-orders?filter[planId]=${plan.id}&expand=tasks`,
        ),
      ).items;
      expect(orders).toHaveLength(1);
      const order = orders[0]!;
      orderId = order.id;
      expect(order).toMatchObject({
        moNo: due.created[0],
        orderType: 'PREVENTIVE',
        equipmentId: ids.press,
        dueAt: '2026-12-01T00:00:00.000Z',
        requestedById: env.userId('planner1'),
        assigneeId: env.userId('tech1'),
        status: 'REQUESTED',
      });
      const full = ok(
        await planner<Rec & { tasks: Rec[] }>('GET', `/api/maintenance-orders/${order.id}?expand=tasks`),
      );
      expect(full.tasks.map((t) => [t.seq, t.taskType, t.description])).toEqual([
        [1, 'LUBRICATION', 'Grease spindle bearings'],
        [2, 'INSPECTION', 'Check belt tension'],
      ]);
    });

    it('is approved by a planner other than the requester, then scheduled and started', async () => {
      const own = await planner('POST', `/api/maintenance-orders/${orderId}/actions/approve`);
      expect(own.status).toBe(403);
      expect(
        ok(await approver<Rec>('POST', `/api/maintenance-orders/${orderId}/actions/approve`)),
      ).toMatchObject({
        status: 'APPLIED',
        to: 'APPROVED',
      });
      ok(
        await approver('POST', `/api/maintenance-orders/${orderId}/actions/schedule`, {
          fields: { scheduledStart: '2026-11-30T08:00:00.000Z' },
        }),
      );
      ok(await technician('POST', `/api/maintenance-orders/${orderId}/actions/start`));
      expect(ok(await admin<Rec>('GET', `/api/equipment/${ids.press}`)).status).toBe('MAINTENANCE');
    });

    it('issues spare parts from stock through the engine and costs them on the order', async () => {
      const issue = (quantity: number) =>
        technician<Rec>('POST', `/api/plugins/maintenance/orders/${orderId}/spare-parts`, {
          itemId: ids.bearing,
          quantity,
          locationId: ids.store,
          unitCost: 25,
        });
      const usage = ok(await issue(4));
      expect(usage).toMatchObject({ quantity: 4, unitCost: 25, amount: 100 });
      expect(usage.transactionNo).toMatch(/^TXN-/);
      expect(await stockOf(ids.bearing)).toEqual([6]);
      const movement = ok(
        await admin<{ items: Rec[] }>(
          'GET',
          `/api/stock-transactions?filter[transactionNo]=${String(usage.transactionNo)}`,
        ),
      ).items;
      expect(movement).toEqual([
        expect.objectContaining({ transactionType: 'ISSUE', quantity: 4, fromLocationId: ids.store }),
      ]);

      const tooMany = await issue(7);
      expect(tooMany.status).toBe(422);
      expect(await stockOf(ids.bearing)).toEqual([6]);

      const order = ok(
        await planner<Rec & { spareParts: Rec[] }>(
          'GET',
          `/api/maintenance-orders/${orderId}?expand=spareParts`,
        ),
      );
      expect(order.spareParts).toHaveLength(1);
      expect(order).toMatchObject({ partsCost: 100, totalCost: 100 });
      const edited = await planner('PATCH', `/api/maintenance-orders/${orderId}`, {
        version: order.version,
        spareParts: [],
      });
      expect(edited.status).toBe(422);
    });

    it('verifies the finished order: the plan rolls forward from the actual end, the equipment runs', async () => {
      ok(
        await technician('POST', `/api/maintenance-orders/${orderId}/actions/finish`, {
          fields: { workDone: 'Greased, belt re-tensioned' },
        }),
      );
      ok(
        await approver('POST', `/api/maintenance-orders/${orderId}/actions/verify`, {
          fields: { verificationNote: 'Runs quietly' },
        }),
      );
      const order = ok(await planner<Rec>('GET', `/api/maintenance-orders/${orderId}`));
      const plan = ok(await planner<Rec>('GET', `/api/maintenance-plans/${ids.calendarPlan}`));
      expect(order.status).toBe('VERIFIED');
      expect(plan.lastDoneAt).toBe(order.actualEnd);
      const done = new Date(String(order.actualEnd));
      const next = new Date(String(plan.nextDueAt));
      expect(
        (next.getUTCFullYear() - done.getUTCFullYear()) * 12 + next.getUTCMonth() - done.getUTCMonth(),
      ).toBe(1);
      expect(next.getUTCHours()).toBe(done.getUTCHours());
      const equipment = ok(await admin<Rec>('GET', `/api/equipment/${ids.press}`));
      expect(equipment).toMatchObject({ status: 'RUNNING', nextMaintenanceAt: plan.nextDueAt });

      const following = await generate(String(plan.nextDueAt));
      expect(following.created).toHaveLength(1);
      expect(following.created[0]).not.toBe(order.moNo);
    });

    it('creates the order of a usage plan once the counter reaches the due value', async () => {
      const plan = ok(
        await planner<Rec>('POST', '/api/maintenance-plans', {
          planName: 'Mould service every 500 h',
          equipmentId: ids.moulder,
          triggerType: 'USAGE',
          usageInterval: 500,
          usageUnit: 'HOURS',
          plannerId: env.userId('planner1'),
        }),
      );
      expect(plan.nextDueUsage).toBe(500);
      // The usage counter is fed by the machines (read-only in the API); the test plays the feed.
      const equipment = env.server.registry.current().entities.get('equipment')!;
      const setCounter = (value: number) =>
        env.server.dataSource.query(`UPDATE ${equipment.table} SET usage_counter = ? WHERE id = ?`, [
          value,
          ids.moulder,
        ]);
      await setCounter(499);
      expect((await generate('2026-11-25T00:00:00.000Z')).created).toEqual([]);
      await setCounter(500.5);
      const due = await generate('2026-11-25T01:00:00.000Z');
      expect(due.created).toHaveLength(1);
      expect((await generate('2026-11-25T02:00:00.000Z')).created).toEqual([]);
      const [order] = ok(
        await planner<{ items: Rec[] }>('GET', `/api/maintenance-orders?filter[planId]=${plan.id}`),
      ).items;
      expect(order).toMatchObject({ dueUsage: 500, dueAt: null, orderType: 'PREVENTIVE' });
    });

    it('approves an emergency order at once and records its breakdown as downtime when finished', async () => {
      const order = ok(
        await technician<Rec>('POST', '/api/maintenance-orders', {
          orderType: 'EMERGENCY',
          equipmentId: ids.moulder,
          title: 'Hydraulic leak',
          failureDescription: 'Oil on the floor under the clamp unit',
          requestedById: env.userId('tech1'),
          requestedAt: '2026-11-25T03:00:00.000Z',
        }),
      );
      expect(ok(await technician<Rec>('GET', `/api/maintenance-orders/${order.id}`)).status).toBe('APPROVED');
      ok(
        await planner('POST', `/api/maintenance-orders/${order.id}/actions/schedule`, {
          fields: { assigneeId: env.userId('tech1'), scheduledStart: '2026-11-25T03:30:00.000Z' },
        }),
      );
      ok(await technician('POST', `/api/maintenance-orders/${order.id}/actions/start`));
      ok(
        await technician('POST', `/api/maintenance-orders/${order.id}/actions/finish`, {
          fields: { workDone: 'Seal replaced' },
        }),
      );
      const finished = ok(await technician<Rec>('GET', `/api/maintenance-orders/${order.id}`));
      const downtime = ok(
        await planner<{ items: Rec[] }>(
          'GET',
          `/api/downtime-records?filter[maintenanceOrderId]=${order.id}`,
        ),
      ).items;
      expect(downtime).toEqual([
        expect.objectContaining({
          equipmentId: ids.moulder,
          downtimeType: 'UNPLANNED',
          reasonCategory: 'BREAKDOWN',
          startTime: '2026-11-25T03:00:00.000Z',
          endTime: finished.actualEnd,
        }),
      ]);
    });

    it('records the downtime of an order requested ahead of time from when its work began', async () => {
      const order = ok(
        await technician<Rec>('POST', '/api/maintenance-orders', {
          orderType: 'EMERGENCY',
          equipmentId: ids.moulder,
          title: 'Heater band due to fail',
          failureDescription: 'Zone 3 heater drawing low current',
          requestedById: env.userId('tech1'),
          requestedAt: '2099-01-01T00:00:00.000Z',
        }),
      );
      ok(
        await planner('POST', `/api/maintenance-orders/${order.id}/actions/schedule`, {
          fields: { assigneeId: env.userId('tech1'), scheduledStart: '2026-11-26T03:30:00.000Z' },
        }),
      );
      ok(await technician('POST', `/api/maintenance-orders/${order.id}/actions/start`));
      ok(
        await technician('POST', `/api/maintenance-orders/${order.id}/actions/finish`, {
          fields: { workDone: 'Heater band replaced' },
        }),
      );
      const finished = ok(await technician<Rec>('GET', `/api/maintenance-orders/${order.id}`));
      const downtime = ok(
        await planner<{ items: Rec[] }>(
          'GET',
          `/api/downtime-records?filter[maintenanceOrderId]=${order.id}`,
        ),
      ).items;
      expect(downtime).toEqual([
        expect.objectContaining({ startTime: finished.actualStart, endTime: finished.actualEnd }),
      ]);
    });
  },
);
