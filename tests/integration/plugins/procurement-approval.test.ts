/**
 * Purchase approvals on the real server: submitting opens the approval the amount selects (one
 * purchase approver up to 100 000, two above), approvers vote n of m, the submitter never approves,
 * each approver votes once, the priced content is frozen once submitted; a requisition is approved
 * the same way and converted into a purchase order.
 */
import type { TestDialect } from './plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number; version: number };
type ActionResult = { status: string; to: string; approvals?: { approvals: number; required: number } };

describe.each<TestDialect>(TEST_DIALECTS)('purchase approval by amount, n of m, on %s', (dialect) => {
  let env: BusinessServer;
  let buyer: Call;
  let approvers: Call[];
  let supplierId: number;
  let itemId: number;
  let departmentId: number;

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'procurement_approval');
    const admin = env.as('admin');
    ok(await admin('POST', '/api/admin/plugins', { source: 'procurement', enable: true }));
    // Requisitions are scoped by department (buyer: own department, approver: department tree).
    // The demo departments include purchasing (PUR).
    departmentId = ok(await admin<{ items: Rec[] }>('GET', '/api/departments?filter[deptCode]=PUR')).items[0]!
      .id;
    await env.addUser('buyer1', ['buyer'], departmentId);
    for (const name of ['approver1', 'approver2'])
      await env.addUser(name, ['purchase_approver'], departmentId);
    buyer = env.as('buyer1');
    approvers = ['approver1', 'approver2'].map((name) => env.as(name));
    const uom = ok(await admin<Rec>('POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' }));
    itemId = ok(
      await admin<Rec>('POST', '/api/items', { itemName: 'Motor', itemType: 'RAW', uomId: uom.id }),
    ).id;
    supplierId = ok(await admin<Rec>('POST', '/api/suppliers', { supplierName: 'Drive Systems' })).id;
  }, 240_000);
  afterAll(async () => {
    await env?.close();
  });

  const submittedOrder = async (quantity: number, unitPrice: number): Promise<Rec> => {
    const order = ok(
      await buyer<Rec>('POST', '/api/purchase-orders', {
        supplierId,
        poDate: '2026-11-02',
        buyerId: env.userId('buyer1'),
        lines: [{ lineNo: 1, itemId, quantity, unitPrice }],
      }),
    );
    expect(ok(await buyer<ActionResult>('POST', `/api/purchase-orders/${order.id}/actions/submit`)).to).toBe(
      'SUBMITTED',
    );
    return order;
  };
  const vote = (who: Call, id: number, action: string) =>
    who<ActionResult>('POST', `/api/purchase-orders/${id}/actions/${action}`);
  const statusOf = async (id: number) => ok(await buyer<Rec>('GET', `/api/purchase-orders/${id}`)).status;

  it('needs two approvers above 100 000: one vote leaves it submitted, the second approves', async () => {
    const order = await submittedOrder(1000, 100);
    expect(order.totalAmount).toBe(113000);

    const first = ok(await vote(approvers[0]!, order.id, 'approve_large'));
    expect(first).toMatchObject({ status: 'PENDING_APPROVAL', approvals: { approvals: 1, required: 2 } });
    expect(await statusOf(order.id)).toBe('SUBMITTED');

    const again = await vote(approvers[0]!, order.id, 'approve_large');
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ code: 'BUSINESS_RULE' });
    const bySubmitter = await vote(buyer, order.id, 'approve_large');
    expect(bySubmitter.status).toBe(403);

    const second = ok(await vote(approvers[1]!, order.id, 'approve_large'));
    expect(second).toMatchObject({
      status: 'APPLIED',
      to: 'APPROVED',
      approvals: { approvals: 2, required: 2 },
    });
    expect(await statusOf(order.id)).toBe('APPROVED');
    // The vote that completed the approval fired the transition: `approved_by: $user` is that approver.
    const approved = ok(await buyer<Rec>('GET', `/api/purchase-orders/${order.id}`));
    expect(approved.approvedById).toBe(env.userId('approver2'));
  });

  it('needs one approver up to 100 000, and the single-approver path refuses large orders', async () => {
    const order = await submittedOrder(100, 100);
    expect(order.totalAmount).toBe(11300);
    const large = await vote(approvers[0]!, order.id, 'approve_large');
    expect(large.status).toBe(422);
    expect(ok(await vote(approvers[0]!, order.id, 'approve'))).toMatchObject({
      status: 'APPLIED',
      to: 'APPROVED',
    });
  });

  it("lists an open approval in the approvers' task inbox until they have voted, never in the submitter's", async () => {
    type Inbox = {
      counts: { approvals: number };
      approvals: { recordId: number; action: string; path: string }[];
    };
    const waiting = async (who: Call, id: number) =>
      ok(await who<Inbox>('GET', '/api/me/tasks')).approvals.filter((approval) => approval.recordId === id);
    const order = await submittedOrder(1000, 100);

    for (const approver of approvers)
      expect(await waiting(approver, order.id)).toEqual([
        expect.objectContaining({ recordId: order.id, action: 'approve_large', path: 'purchase-orders' }),
      ]);
    expect(await waiting(buyer, order.id)).toEqual([]);

    ok(await vote(approvers[0]!, order.id, 'approve_large'));
    expect(await waiting(approvers[0]!, order.id)).toEqual([]);
    expect(await waiting(approvers[1]!, order.id)).toHaveLength(1);
  });

  it('freezes the priced content of a submitted order', async () => {
    const order = await submittedOrder(10, 100);
    const current = ok(await buyer<Rec>('GET', `/api/purchase-orders/${order.id}`));
    const changed = await buyer('PATCH', `/api/purchase-orders/${order.id}`, {
      version: current.version,
      lines: [{ lineNo: 1, itemId, quantity: 10, unitPrice: 1 }],
    });
    expect(changed.status).toBe(422);
    expect(changed.body).toMatchObject({
      code: 'BUSINESS_RULE',
      errors: [expect.objectContaining({ rule: 'order-locked' })],
    });
  });

  it('approves a requisition and converts it into a draft purchase order linked line by line', async () => {
    const requisition = ok(
      await buyer<Rec>('POST', '/api/purchase-requisitions', {
        title: 'Spare motors',
        requesterId: env.userId('buyer1'),
        departmentId,
        requiredDate: '2026-12-15',
        lines: [
          { lineNo: 1, itemId, quantity: 4, estimatedPrice: 250, suggestedSupplierId: supplierId },
          { lineNo: 2, itemId, quantity: 2, estimatedPrice: 300, suggestedSupplierId: supplierId },
        ],
      }),
    );
    expect(requisition.estimatedAmount).toBe(1600);
    ok(await buyer('POST', `/api/purchase-requisitions/${requisition.id}/actions/submit`));
    const early = await buyer(
      'POST',
      `/api/plugins/procurement/requisitions/${requisition.id}/purchase-order`,
      {},
    );
    expect(early.status).toBe(422);
    expect(
      ok(
        await approvers[0]!<ActionResult>(
          'POST',
          `/api/purchase-requisitions/${requisition.id}/actions/approve`,
        ),
      ),
    ).toMatchObject({ status: 'APPLIED', to: 'APPROVED' });

    const converted = await buyer<Rec & { lines: Rec[] }>(
      'POST',
      `/api/plugins/procurement/requisitions/${requisition.id}/purchase-order`,
      { buyerId: env.userId('buyer1') },
    );
    const order = ok(converted);
    expect(converted.status).toBe(201);
    expect(order).toMatchObject({
      status: 'DRAFT',
      supplierId,
      requisitionId: requisition.id,
      requiredDate: '2026-12-15',
    });
    expect(order.lines.map((l) => [l.lineNo, l.quantity, l.unitPrice, l.amount])).toEqual([
      [1, 4, 250, 1000],
      [2, 2, 300, 600],
    ]);
    const after = ok(
      await buyer<Rec & { lines: Rec[] }>('GET', `/api/purchase-requisitions/${requisition.id}?expand=lines`),
    );
    expect(after.status).toBe('PURCHASED');
    expect(after.lines.map((l) => l.purchaseOrderId)).toEqual([order.id, order.id]);
  });
});
