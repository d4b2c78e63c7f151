/**
 * Field rules and row scope on every write path, through the real server as non-admin roles: an
 * operator's workflow action may send only the transition's inputs, an operator cannot write against
 * an order outside its lines (the answer is that of a missing order), and the audit record of a
 * write names the actor, its IP and user agent. A relation picker's lookup works for any role that may
 * set the field, within the read scope of a role that reads the target.
 */
import { startLineScopedPlant, type LineScopedPlant } from './line-scoped-plant';

type Row = Record<string, unknown>;

describe('field rules and row scope on writes through the server (SQLite)', () => {
  let plant: LineScopedPlant;
  let ownOrder: number;
  let otherOrder: number;
  const call: LineScopedPlant['call'] = (...args) => plant.call(...args);
  const created: LineScopedPlant['created'] = (...args) => plant.created(...args);

  beforeAll(async () => {
    plant = await startLineScopedPlant('WS');
    ({ ownOrder, otherOrder } = plant);
    for (const username of ['admin', 'planner', 'inspector']) await plant.sessions.signIn(username);
  });
  afterAll(async () => {
    await plant?.close();
  });

  it.each([
    ['plannedQuantity', 999],
    ['actualQuantity', 999],
    ['yieldRate', 50],
    ['woNo', 'WO-FORGED'],
  ])(
    'refuses %s in the body of an action that does not take it, naming the field and the rule',
    async (field, value) => {
      const response = await call('operator', 'POST', `/api/work-orders/${ownOrder}/actions/start`, {
        fields: { [field]: value },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        errors: [{ field, path: `/fields/${field}`, rule: 'input' }],
      });
      const order = (await call('planner', 'GET', `/api/work-orders/${ownOrder}`)).json().data as Row;
      expect(order).toMatchObject({ status: 'RELEASED', plannedQuantity: 5 });
    },
  );

  it('refuses moving the order to another line through an action body', async () => {
    const response = await call('operator', 'POST', `/api/work-orders/${ownOrder}/actions/start`, {
      fields: { lineId: 1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ errors: [{ field: 'lineId', rule: 'input' }] });
  });

  it('starts the order when the body sends nothing but the action', async () => {
    const response = await call('operator', 'POST', `/api/work-orders/${ownOrder}/actions/start`, {});
    expect(response.statusCode).toBe(201);
    expect((response.json().data as { record: Row }).record).toMatchObject({
      status: 'IN_PROGRESS',
      plannedQuantity: 5,
    });
  });

  it('answers a write against an order outside the operator’s lines exactly like one against a missing order', async () => {
    const report = (workOrderId: number) =>
      call('operator', 'POST', '/api/work-reports', {
        workOrderId,
        woOperationId: 1,
        goodQuantity: 1,
        startTime: '2026-12-01T08:00:00Z',
        endTime: '2026-12-01T09:00:00Z',
      });
    const outside = await report(otherOrder);
    const missing = await report(999999);
    expect(outside.statusCode).toBe(missing.statusCode);
    expect(outside.statusCode).toBe(422);
    const workOrderError = (response: typeof outside, id: number) =>
      (response.json() as { errors: Row[] }).errors
        .filter((error) => error.field === 'workOrderId')
        .map((error) => ({ ...error, message: String(error.message).replace(String(id), '<id>') }));
    expect(workOrderError(outside, otherOrder)).toEqual(workOrderError(missing, 999999));
    expect(workOrderError(outside, otherOrder)).toEqual([
      expect.objectContaining({ rule: 'exists', message: 'work_order <id> does not exist' }),
    ]);
  });

  it('leaves the fields a reader may not see out of a record’s audit history, names included', async () => {
    const itemId = await created('admin', '/api/items', {
      itemName: 'Costed',
      itemType: 'RAW',
      uomId: (await call('admin', 'GET', '/api/units').then((r) => r.json().data.items[0].id)) as number,
    });
    const item = (await call('admin', 'GET', `/api/items/${itemId}`)).json().data as Row;
    const patched = await call('admin', 'PATCH', `/api/items/${itemId}`, {
      unitCost: 12.5,
      itemName: 'Costed twice',
      version: item.version,
    });
    expect(patched.statusCode).toBe(200);
    const history = await call('operator', 'GET', `/api/items/${itemId}/audit`);
    expect(history.statusCode).toBe(200);
    const update = (history.json().data as Row[]).find((entry) => entry.action === 'UPDATE')!;
    expect(update.changedFields).toEqual(['itemName']);
    expect(JSON.stringify(update)).not.toContain('unitCost');
    const full = (await call('admin', 'GET', `/api/items/${itemId}/audit`)).json().data as Row[];
    expect(full.find((entry) => entry.action === 'UPDATE')!.changedFields).toEqual(['itemName', 'unitCost']);
  });

  it('records the actor name, IP and user agent with the audit record of a data change', async () => {
    const id = await created('admin', '/api/departments', { deptCode: 'WS_AUD', deptName: 'Audited' });
    const history = await call('admin', 'GET', `/api/departments/${id}/audit`);
    expect(history.statusCode).toBe(200);
    expect((history.json().data as Row[])[0]).toMatchObject({
      action: 'CREATE',
      actorName: 'admin',
      ip: '127.0.0.1',
      userAgent: 'lightMyRequest',
    });
  });

  describe('relation lookups', () => {
    type Choice = { id: number; label: string; key: string | null };

    it('lets the inspector pick an inspector (a user) without user:read, by name or username', async () => {
      expect((await call('inspector', 'GET', '/api/users?pageSize=5')).statusCode).toBe(403);
      const found = await call('inspector', 'GET', '/api/lookup/inspection/inspector?search=inspect');
      expect(found.statusCode).toBe(200);
      const items = (found.json().data as { items: Choice[] }).items;
      expect(items).toEqual([{ id: expect.any(Number), label: 'Quality inspector', key: 'inspector' }]);
      const byId = await call('inspector', 'GET', `/api/lookup/inspections/inspector?ids=${items[0]!.id}`);
      expect(byId.json().data.items).toEqual(items);
    });

    it('refuses a caller who may neither set the field nor read the target, and unknown fields', async () => {
      const denied = await call('operator', 'GET', '/api/lookup/inspection/inspector');
      expect(denied.statusCode).toBe(403);
      expect(denied.json().message).toContain('user:read');
      expect((await call('inspector', 'GET', '/api/lookup/inspection/remark')).statusCode).toBe(404);
      const badIds = await call('inspector', 'GET', '/api/lookup/inspection/inspector?ids=1,x');
      expect(badIds.statusCode).toBe(400);
      expect(badIds.json().errors[0]).toMatchObject({ field: 'ids' });
    });

    it('names only the ids its readable records hold for a reader of the field, without letting them search the target', async () => {
      const order = (await call('operator', 'GET', `/api/work-orders/${ownOrder}`)).json().data as Row;
      const named = await call('operator', 'GET', `/api/lookup/work_order/line?ids=${String(order.lineId)}`);
      expect(named.statusCode).toBe(200);
      expect(named.json().data.items).toEqual([{ id: order.lineId, label: 'Line WS01', key: 'WS01' }]);
      expect((await call('operator', 'GET', '/api/lookup/work_order/line?search=Line')).statusCode).toBe(403);
      // A line none of the operator's readable orders holds stays unnamed.
      const other = (await call('admin', 'GET', `/api/work-orders/${otherOrder}`)).json().data as Row;
      expect(other.lineId).not.toBe(order.lineId);
      const hidden = await call('operator', 'GET', `/api/lookup/work_order/line?ids=${String(other.lineId)}`);
      expect(hidden.statusCode).toBe(200);
      expect(hidden.json().data.items).toEqual([]);
    });

    it('keeps to the read scope of a caller who reads the target', async () => {
      const choices = async (who: string) => {
        const response = await call(who, 'GET', '/api/lookup/test_record/work_order?pageSize=50');
        expect(response.statusCode).toBe(200);
        return (response.json().data as { items: Choice[] }).items.map((c) => c.id);
      };
      expect(await choices('operator')).toEqual([ownOrder]);
      expect((await choices('admin')).sort()).toEqual([ownOrder, otherOrder].sort());
    });
  });

  describe('labels', () => {
    it('renders a PNG of the business key for a reader of the record, within its row scope', async () => {
      const label = await call('operator', 'GET', `/api/work-orders/${ownOrder}/label?symbology=code128`);
      expect(label.statusCode).toBe(200);
      expect(label.headers['content-type']).toBe('image/png');
      expect(label.rawPayload.subarray(1, 4).toString()).toBe('PNG');
      expect((await call('operator', 'GET', `/api/work-orders/${otherOrder}/label`)).statusCode).toBe(404);
      const bad = await call('operator', 'GET', `/api/work-orders/${ownOrder}/label?symbology=ean99`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0]).toMatchObject({ field: 'symbology' });
      expect((await call('inspector', 'GET', `/api/users/1/label`)).statusCode).toBe(403);
    });

    it('prints a work order as a PDF traveller with its operations, for a reader within scope', async () => {
      const pdf = await call('operator', 'GET', `/api/work-orders/${ownOrder}/report.pdf`);
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      expect((await call('operator', 'GET', `/api/work-orders/${otherOrder}/report.pdf`)).statusCode).toBe(
        404,
      );
    });
  });
});
