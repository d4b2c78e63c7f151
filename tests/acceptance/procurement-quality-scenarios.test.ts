/**
 * Acceptance scenarios 3, 5, 14 and the RBAC part of 15 over HTTP, each step as the demo user
 * whose job it is, on SQLite (events in-process) and MariaDB + Redis (BullMQ): the procurement and
 * maintenance plugins installed by the administrator, their roles granted; purchase order through
 * approval to receipt and IQC; a failed IQC opening an NCR that is assigned, answered by the supplier
 * and closed by quality, moving the supplier's NCR count and score; the analyst's Engineering Problem
 * published through the Metadata Studio with its rules; row scopes of the supplier and the inspector.
 */
import { EngineDatabase } from '../../platform/src/data/database';
import { expectIntactAuditChain } from '../support/sealed-audit';
import { waitFor, waitForValue } from '../support/wait-for';
import {
  PASSWORD,
  startMesServer,
  type MesServer,
  type ScenarioDialect,
} from '../integration/scenario/mes-server';
import { TEST_DIALECTS } from '../support/test-dialects';

type Row = Record<string, unknown>;
interface Reply {
  statusCode: number;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}
type User =
  | 'admin'
  | 'buyer'
  | 'approver'
  | 'clerk'
  | 'inspector'
  | 'qmanager'
  | 'supplier'
  | 'operator'
  | 'technician'
  | 'analyst'
  | 'reviewer';

const PO_NO = /^PO-[0-9]{8}-[0-9]{3}$/;
const GRN_NO = /^GRN-[0-9]{8}-[0-9]{3}$/;
const NCR_NO = /^NCR-[0-9]{8}-[0-9]{3}$/;
const DAY = 86_400_000;

describe.each<ScenarioDialect>(TEST_DIALECTS)(
  'procurement and quality acceptance scenarios (%s)',
  (dialect) => {
    let mes: MesServer;
    const tokens = new Map<User, string>();
    const ids = {} as Record<User, number>;
    const plant: Record<string, Row> = {};

    const signIn = async (username: User) => {
      const response = await mes.server.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: PASSWORD },
      });
      if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.body}`);
      const { accessToken, user } = response.json().data as { accessToken: string; user?: { id: string } };
      tokens.set(username, accessToken);
      if (user) ids[username] = Number(user.id);
      else {
        const me = await call(username, 'GET', '/api/auth/me');
        ids[username] = Number((me.json().data as { user: { id: string } }).user.id);
      }
    };
    const call = async (
      who: User,
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: object,
      headers: Record<string, string> = {},
    ): Promise<Reply> =>
      (await mes.server.app.inject({
        method,
        url,
        payload,
        headers: { authorization: `Bearer ${tokens.get(who) ?? ''}`, ...headers },
      })) as unknown as Reply;
    const expectStatus = (reply: Reply, status: number, what: string) => {
      if (reply.statusCode !== status) throw new Error(`${what}: ${reply.statusCode} ${reply.body}`);
    };
    const create = async (who: User, url: string, payload: object): Promise<Row> => {
      const reply = await call(who, 'POST', url, payload);
      expectStatus(reply, 201, `POST ${url} as ${who}`);
      return reply.json().data as Row;
    };
    const get = async (who: User, url: string): Promise<Row> => {
      const reply = await call(who, 'GET', url);
      expectStatus(reply, 200, `GET ${url} as ${who}`);
      return reply.json().data as Row;
    };
    const patch = async (who: User, url: string, payload: object): Promise<Row> => {
      const reply = await call(who, 'PATCH', url, payload);
      expectStatus(reply, 200, `PATCH ${url} as ${who}`);
      return reply.json().data as Row;
    };
    /** Fires a workflow action and returns the record; throws unless it applied. */
    const act = async (who: User, path: string, id: unknown, action: string, body: object = {}) => {
      const url = `/api/${path}/${String(id)}/actions/${action}`;
      const reply = await call(who, 'POST', url, body);
      expectStatus(reply, 201, `POST ${url} as ${who}`);
      const result = reply.json().data as { status: string; record: Row };
      if (result.status !== 'APPLIED') throw new Error(`POST ${url}: ${result.status}`);
      return result.record;
    };
    const items = async (who: User, url: string) => (await get(who, url)).items as Row[];
    const eventTypes = async (entity: string, id: unknown) =>
      (
        await mes.query<{ event_type: string }>(
          'SELECT event_type FROM evt_outbox WHERE entity = ? AND entity_id = ? ORDER BY id',
          [entity, String(id)],
        )
      ).map((row) => row.event_type);
    const auditActions = async (entity: string, id: unknown) =>
      (
        await mes.query<{ action: string; transition: string | null; actor_id: string }>(
          'SELECT action, transition, actor_id FROM audit_log WHERE entity_name = ? AND record_id = ? ORDER BY id',
          [entity, String(id)],
        )
      ).map((row) => [row.action, row.transition, Number(row.actor_id)]);

    /** The user chooses the language of server messages; the preference travels in a new token. */
    const speaks = async (who: User, locale: 'en' | 'zh') => {
      expect((await call(who, 'PUT', '/api/auth/locale', { locale })).statusCode).toBe(200);
      await signIn(who);
    };

    beforeAll(async () => {
      mes = await startMesServer(dialect, 'procqual');
      await signIn('admin');
      for (const plugin of ['procurement', 'maintenance'])
        await create('admin', '/api/admin/plugins', { source: plugin, enable: true });
      for (const user of [
        'buyer',
        'approver',
        'clerk',
        'inspector',
        'qmanager',
        'supplier',
        'operator',
        'technician',
        'analyst',
        'reviewer',
      ] as const)
        await signIn(user);
      const uom = await create('admin', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' });
      const supplier = await create('admin', '/api/suppliers', {
        supplierCode: 'SUP-ACME1',
        supplierName: 'ACME Electronics',
        qualityRating: 4.8,
      });
      const rival = await create('admin', '/api/suppliers', { supplierName: 'Rival Boards' });
      const pcb = await create('admin', '/api/items', {
        itemCode: 'ITM-202501-0001',
        itemName: 'PCB',
        itemType: 'RAW',
        uomId: uom.id,
        defaultSupplierId: supplier.id,
      });
      const store = await create('admin', '/api/locations', {
        locationName: 'Raw store',
        locationType: 'WAREHOUSE',
      });
      await create('admin', '/api/inspection-plans', {
        planCode: 'IQC-PCB',
        itemId: pcb.id,
        inspectionType: 'IQC',
        status: 'ACTIVE',
      });
      const solder = await create('admin', '/api/qms-codes', {
        codeType: 'DEFECT',
        code: 'SOLDER-02',
        description: 'Solder bridge',
      });
      const material = await create('admin', '/api/qms-codes', {
        codeType: 'CAUSE',
        code: 'MAT-01',
        description: 'Incoming material',
      });
      Object.assign(plant, { uom, supplier, rival, pcb, store, solder, material });
    }, 300_000);
    afterAll(async () => {
      await mes?.stop();
    });

    it('15 the roles a plugin brings can be granted: the clerk receives goods once given goods_receiver', async () => {
      const roles = await items(
        'admin',
        '/api/roles?filter[roleCode][in]=goods_receiver,maintenance_planner',
      );
      expect(roles.map((role) => role.roleCode).sort()).toEqual(['goods_receiver', 'maintenance_planner']);
      expect((await call('clerk', 'GET', '/api/goods-receipts')).statusCode).toBe(403);
      const clerk = await get('admin', `/api/users/${ids.clerk}?expand=roles`);
      const receiver = roles.find((role) => role.roleCode === 'goods_receiver')!;
      await patch('admin', `/api/users/${ids.clerk}`, {
        version: clerk.version,
        roles: [...(clerk.roles as Row[]).map((role) => ({ roleId: role.roleId })), { roleId: receiver.id }],
      });
      await signIn('clerk');
      expect((await call('clerk', 'GET', '/api/goods-receipts')).statusCode).toBe(200);
      // The demo technician holds the maintenance plugin's role and works with it once it is enabled.
      expect((await call('technician', 'GET', '/api/maintenance-orders')).statusCode).toBe(200);
      expect((await call('technician', 'GET', '/api/purchase-orders')).statusCode).toBe(403);
    });

    it('3 procure and receive: the buyer drafts, another user approves (the drafter cannot), a GRN receives 600 of 1 000', async () => {
      const order = await create('buyer', '/api/purchase-orders', {
        supplierId: plant.supplier!.id,
        poDate: '2026-12-01',
        promisedDate: '2026-12-10',
        buyerId: ids.buyer,
        lines: [{ lineNo: 1, itemId: plant.pcb!.id, quantity: 1000, unitPrice: 2.5 }],
      });
      expect(order.poNo).toMatch(PO_NO);
      expect(order).toMatchObject({
        status: 'DRAFT',
        subtotalAmount: 2500,
        supplierName: 'ACME Electronics',
      });
      await act('buyer', 'purchase-orders', order.id, 'submit');
      // Segregation of duties: neither the buyer nor the admin, who submitted their own order, holds
      // the approver's role; only a purchase approver approves (never their own request: unit-tested).
      const own = await call('buyer', 'POST', `/api/purchase-orders/${String(order.id)}/actions/approve`, {});
      expect(own.statusCode).toBe(403);
      const adminsOwn = await create('admin', '/api/purchase-orders', {
        supplierId: plant.supplier!.id,
        poDate: '2026-12-01',
        buyerId: ids.buyer,
        lines: [{ lineNo: 1, itemId: plant.pcb!.id, quantity: 10, unitPrice: 2.5 }],
      });
      await act('admin', 'purchase-orders', adminsOwn.id, 'submit');
      const selfApproval = await call(
        'admin',
        'POST',
        `/api/purchase-orders/${String(adminsOwn.id)}/actions/approve`,
        {},
      );
      expect(selfApproval.statusCode).toBe(403);
      expect(selfApproval.json()).toMatchObject({
        code: 'FORBIDDEN',
        message: 'Approving needs one of purchase_approver',
      });
      expect((await get('admin', `/api/purchase-orders/${String(adminsOwn.id)}`)).status).toBe('SUBMITTED');

      expect(await act('approver', 'purchase-orders', order.id, 'approve')).toMatchObject({
        status: 'APPROVED',
      });
      expect(await act('buyer', 'purchase-orders', order.id, 'place')).toMatchObject({ status: 'ORDERED' });
      const placed = await get('buyer', `/api/purchase-orders/${String(order.id)}?expand=lines`);
      const line = (placed.lines as Row[])[0]!;

      const draft = await create('clerk', '/api/goods-receipts', {
        purchaseOrderId: order.id,
        supplierId: plant.supplier!.id,
        grnDate: '2026-12-08',
        deliveryNoteNo: 'DN-ACME-7781',
        locationId: plant.store!.id,
        iqcInspectorId: ids.inspector,
        lines: [
          {
            lineNo: 1,
            poLineId: line.id,
            itemId: plant.pcb!.id,
            supplierLot: 'ACME-L2612-01',
            quantity: 600,
          },
        ],
      });
      expect(draft.grnNo).toMatch(GRN_NO);
      await act('clerk', 'goods-receipts', draft.id, 'receive');
      const received = await get('clerk', `/api/goods-receipts/${String(draft.id)}`);
      expect(received).toMatchObject({ status: 'RECEIVED', onTime: true, receiverId: ids.clerk });
      expect(await auditActions('goods_receipt', draft.id)).toEqual(
        expect.arrayContaining([
          ['CREATE', null, ids.clerk],
          ['TRANSITION', 'receive', ids.clerk],
        ]),
      );

      // The IQC the receipt opened passes (scenario 4 on this receipt): the lot is accepted into stock.
      const iqc = await get('inspector', `/api/inspections/${String(received.iqcInspectionId)}`);
      expect(iqc).toMatchObject({
        inspectionType: 'IQC',
        refType: 'GRN',
        refId: draft.grnNo,
        supplierLot: 'ACME-L2612-01',
        lotSize: 600,
        inspectorId: ids.inspector,
      });
      expect(iqc.inspNo).toMatch(/^INSP-IQC-[0-9]{8}-[0-9]{3}$/);
      await act('inspector', 'inspections', iqc.id, 'start');
      await act('inspector', 'inspections', iqc.id, 'pass');
      await waitFor('the receipt to be accepted', async () => {
        return (await get('clerk', `/api/goods-receipts/${String(draft.id)}`)).status === 'ACCEPTED';
      });
      const rolled = await get('buyer', `/api/purchase-orders/${String(order.id)}?expand=lines`);
      expect(rolled.status).toBe('PARTIALLY_RECEIVED');
      expect((rolled.lines as Row[]).map((l) => [l.quantity, l.receivedQuantity, l.status])).toEqual([
        [1000, 600, 'PARTIALLY_RECEIVED'],
      ]);
      expect(await items('clerk', '/api/stock?filter[lotNo][eq]=ACME-L2612-01')).toEqual([
        expect.objectContaining({
          status: 'AVAILABLE',
          quantity: 600,
          availableQuantity: 600,
          reservedQuantity: 0,
        }),
      ]);
      expect(await eventTypes('purchase_order', order.id)).toEqual(
        expect.arrayContaining([
          'purchase_order.created',
          'purchase_order.submitted',
          'purchase_order.approved',
          'purchase_order.ordered',
          'purchase_order.partially_received',
        ]),
      );
      Object.assign(plant, { order: rolled, line, grn: received });
    });

    it('5 IQC fail → NCR: held lot, HIGH NCR assigned with a due date, the supplier answers, quality closes; the supplier score drops', async () => {
      const draft = await create('clerk', '/api/goods-receipts', {
        purchaseOrderId: plant.order!.id,
        supplierId: plant.supplier!.id,
        grnDate: '2026-12-12',
        locationId: plant.store!.id,
        iqcInspectorId: ids.inspector,
        lines: [
          {
            lineNo: 1,
            poLineId: plant.line!.id,
            itemId: plant.pcb!.id,
            supplierLot: 'ACME-L2612-02',
            quantity: 400,
          },
        ],
      });
      await act('clerk', 'goods-receipts', draft.id, 'receive');
      const received = await get('clerk', `/api/goods-receipts/${String(draft.id)}`);
      expect(received.onTime).toBe(false);
      const iqcId = received.iqcInspectionId;
      await act('inspector', 'inspections', iqcId, 'start');
      const iqc = await get('inspector', `/api/inspections/${String(iqcId)}`);
      await patch('inspector', `/api/inspections/${String(iqcId)}`, {
        version: iqc.version,
        defectQuantity: 5,
        items: [
          {
            lineNo: 1,
            itemKey: 'SOLDER',
            itemName: 'Solder joints',
            actualValue: 'NG',
            remarks: 'Solder bridges',
            defectCount: 5,
            result: 'FAIL',
            defectCodeId: plant.solder!.id,
            causeCodeId: plant.material!.id,
          },
        ],
      });
      const failed = await act('inspector', 'inspections', iqcId, 'fail', {
        fields: { failureReason: 'Solder bridges on 5 of 50 samples', problemSeverity: 'HIGH' },
      });
      expect(failed).toMatchObject({ status: 'FAILED', result: 'FAIL' });
      expect(await eventTypes('inspection', iqcId)).toEqual(expect.arrayContaining(['inspection.failed']));

      // The lot is held: nothing of it is available, and the receipt cannot be accepted.
      const [hold] = await items('inspector', '/api/quality-holds?filter[lotNo][eq]=ACME-L2612-02');
      expect(hold).toMatchObject({ status: 'ACTIVE', holdType: 'SUPPLIER_LOT' });
      const stock = await items('clerk', '/api/stock?filter[lotNo][eq]=ACME-L2612-02');
      expect(stock.filter((row) => row.status === 'AVAILABLE')).toEqual([]);
      expect((await get('clerk', `/api/goods-receipts/${String(draft.id)}`)).status).toBe('INSPECTED');
      expect(
        (await call('clerk', 'POST', `/api/goods-receipts/${String(draft.id)}/actions/accept`, {}))
          .statusCode,
      ).toBe(422);

      // The NCR: HIGH, assigned to the quality manager (the inspector's department manager), due in 3 days.
      const [ncr] = await items('inspector', `/api/ncrs?filter[inspectionId][eq]=${String(iqcId)}`);
      expect(ncr).toMatchObject({
        source: 'IQC',
        severity: 'HIGH',
        category: 'MATERIAL',
        supplierId: plant.supplier!.id,
        lotNo: 'ACME-L2612-02',
        status: 'OPEN',
        assigneeId: ids.qmanager,
      });
      expect(ncr!.ncrNo).toMatch(NCR_NO);
      const due = Date.parse(String(ncr!.dueDate));
      const today = Date.parse(new Date().toISOString().slice(0, 10));
      expect((due - today) / DAY).toBe(3);
      expect(await eventTypes('ncr', ncr!.id)).toEqual(expect.arrayContaining(['ncr.created']));

      // The supplier's NCR count and score follow (an asynchronous rule).
      const score = await waitForValue('the supplier score rule', async () => {
        const supplier = await get('admin', `/api/suppliers/${String(plant.supplier!.id)}`);
        return Number(supplier.ncrCount) === 1 ? supplier : undefined;
      });
      expect(Number(score.qualityRating)).toBeCloseTo(4.3, 5);

      // The supplier is asked for corrective action and answers it from the supplier account.
      const scar = await create('inspector', '/api/scars', {
        title: 'Solder bridges on PCB lot ACME-L2612-02',
        supplierId: plant.supplier!.id,
        ncrId: ncr!.id,
        inspectionId: iqcId,
        itemId: plant.pcb!.id,
        supplierLot: 'ACME-L2612-02',
        severity: 'HIGH',
        description: 'Solder bridges between U3 pins',
        responseDueDate: new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10),
        ownerId: ids.inspector,
      });
      await act('inspector', 'scars', scar.id, 'start');
      await linkSupplierUser(plant.supplier!);
      const seen = await get('supplier', `/api/scars/${String(scar.id)}`);
      const answered = await patch('supplier', `/api/scars/${String(scar.id)}`, {
        version: seen.version,
        containmentAction: 'Stock at ACME sorted 100 %',
        rootCause: 'Stencil worn',
        correctiveAction: 'Stencil replaced, AOI threshold tightened',
        supplierResponder: 'Li Wei (ACME QA)',
      });
      expect(answered.rootCause).toBe('Stencil worn');
      expect((await act('supplier', 'scars', scar.id, 'resolve')).status).toBe('RESOLVED');
      expect((await get('supplier', `/api/ncrs/${String(ncr!.id)}`)).ncrNo).toBe(ncr!.ncrNo);

      // Quality handles the NCR (OPEN → IN_PROGRESS → RESOLVED) and the quality manager closes it.
      await act('inspector', 'ncrs', ncr!.id, 'start');
      await act('inspector', 'ncrs', ncr!.id, 'resolve', {
        fields: {
          disposition: 'RETURN_TO_SUPPLIER',
          rootCause: 'Supplier stencil worn (SCAR answered)',
          correctiveAction: 'Lot returned; supplier stencil replaced',
        },
      });
      const inspectorClose = await call('inspector', 'POST', `/api/ncrs/${String(ncr!.id)}/actions/close`, {
        password: PASSWORD,
        fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Next lot passed' },
      });
      expect(inspectorClose.statusCode).toBe(403);
      const closed = await act('qmanager', 'ncrs', ncr!.id, 'close', {
        password: PASSWORD,
        fields: { verificationResult: 'EFFECTIVE', verificationNote: 'Next lot passed' },
      });
      expect(closed).toMatchObject({ status: 'CLOSED', verifiedById: ids.qmanager });
      expect((await auditActions('ncr', ncr!.id)).filter((row) => row[0] === 'TRANSITION')).toEqual([
        ['TRANSITION', 'start', ids.inspector],
        ['TRANSITION', 'resolve', ids.inspector],
        ['TRANSITION', 'close', ids.qmanager],
      ]);

      // The receiver rejects the failed receipt; the order keeps its 400 open.
      await act('clerk', 'goods-receipts', draft.id, 'reject', {
        reason: 'IQC failed',
        fields: { rejectReason: 'Returned to supplier under NCR' },
      });
      const order = await get('buyer', `/api/purchase-orders/${String(plant.order!.id)}?expand=lines`);
      expect(order.status).toBe('PARTIALLY_RECEIVED');
      expect((order.lines as Row[])[0]!.receivedQuantity).toBe(600);
      Object.assign(plant, { ncr: closed });
    });

    /** Makes the demo supplier account an external user of `supplier` (the administrator's job). */
    async function linkSupplierUser(supplier: Row): Promise<void> {
      const user = await get('admin', `/api/users/${ids.supplier}`);
      if (user.supplierId === supplier.id) return;
      await patch('admin', `/api/users/${ids.supplier}`, {
        version: user.version,
        userType: 'EXTERNAL',
        supplierId: supplier.id,
      });
      await signIn('supplier');
    }

    it("15 a supplier user sees its own supplier's purchase orders and NCRs (200), never another's (404)", async () => {
      await linkSupplierUser(plant.supplier!);
      const rivalOrder = await create('buyer', '/api/purchase-orders', {
        supplierId: plant.rival!.id,
        poDate: '2026-12-02',
        buyerId: ids.buyer,
        lines: [{ lineNo: 1, itemId: plant.pcb!.id, quantity: 5, unitPrice: 3 }],
      });
      const visible = await items('supplier', '/api/purchase-orders?pageSize=100');
      expect(visible.length).toBeGreaterThan(0);
      for (const order of visible) expect(order.supplierId).toBe(plant.supplier!.id);
      const own = await get('supplier', `/api/purchase-orders/${String(plant.order!.id)}?expand=lines`);
      expect((own.lines as Row[])[0]).toMatchObject({ quantity: 1000, receivedQuantity: 600 });
      expect(
        (await call('supplier', 'GET', `/api/purchase-orders/${String(rivalOrder.id)}`)).statusCode,
      ).toBe(404);
      const rivalNcr = await create('qmanager', '/api/ncrs', {
        title: 'Rival boards warped',
        source: 'IQC',
        supplierId: plant.rival!.id,
        severity: 'LOW',
        category: 'MATERIAL',
        description: 'Warped boards',
      });
      expect((await call('supplier', 'GET', `/api/ncrs/${String(rivalNcr.id)}`)).statusCode).toBe(404);
      expect((await items('supplier', '/api/ncrs')).map((ncr) => ncr.id)).toEqual([plant.ncr!.id]);
      // Read only: the supplier neither changes nor approves orders (told in its language).
      await speaks('supplier', 'zh');
      const refused = await call('supplier', 'PATCH', `/api/purchase-orders/${String(plant.order!.id)}`, {
        version: own.version,
        remarks: 'x',
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({
        code: 'FORBIDDEN',
        message: "需要权限 'purchase_order:update'",
      });
      await speaks('supplier', 'en');
    });

    it('15 an inspector sees the inspections, NCRs and holds of their department, not the whole tenant', async () => {
      const elsewhere = await create('qmanager', '/api/inspections', {
        inspectionType: 'IPQC',
        refType: 'GRN',
        refId: plant.grn!.grnNo,
        itemId: plant.pcb!.id,
        inspectorId: ids.operator,
        inspectionDate: '2026-12-12T08:00:00Z',
      });
      const ours = await create('qmanager', '/api/inspections', {
        inspectionType: 'IPQC',
        refType: 'GRN',
        refId: plant.grn!.grnNo,
        itemId: plant.pcb!.id,
        inspectorId: ids.qmanager,
        inspectionDate: '2026-12-12T09:00:00Z',
      });
      expect((await call('inspector', 'GET', `/api/inspections/${String(elsewhere.id)}`)).statusCode).toBe(
        404,
      );
      expect((await call('inspector', 'GET', `/api/inspections/${String(ours.id)}`)).statusCode).toBe(200);
      const listed = (await items('inspector', '/api/inspections?pageSize=100')).map((row) => row.id);
      expect(listed).toContain(ours.id);
      expect(listed).not.toContain(elsewhere.id);
      expect((await call('qmanager', 'GET', `/api/inspections/${String(elsewhere.id)}`)).statusCode).toBe(
        200,
      );
      // NCRs likewise: one owned by production is not the QC inspector's; the IQC one (assigned to
      // the QC manager) and the unassigned ones are.
      const production = await create('qmanager', '/api/ncrs', {
        title: 'Wave solder skips on line 1',
        source: 'IPQC',
        severity: 'MEDIUM',
        category: 'PROCESS',
        description: 'Skipped joints on J4',
        assigneeId: ids.operator,
      });
      expect((await call('inspector', 'GET', `/api/ncrs/${String(production.id)}`)).statusCode).toBe(404);
      expect((await call('qmanager', 'GET', `/api/ncrs/${String(production.id)}`)).statusCode).toBe(200);
      const ncrs = (await items('inspector', '/api/ncrs?pageSize=100')).map((row) => row.id);
      expect(ncrs).toContain(plant.ncr!.id);
      expect(ncrs).not.toContain(production.id);
      const holds = await items('inspector', '/api/quality-holds?pageSize=100');
      expect(holds.map((hold) => hold.ncrId)).toContain(plant.ncr!.id);
      // The inspector's menus: quality work, no administration or configuration.
      const menus = ((await get('inspector', '/api/auth/me')).menu as Row[]).map((menu) => menu.menu);
      expect(menus).toContain('quality');
      for (const other of ['organisation', 'configuration', 'logging']) expect(menus).not.toContain(other);
    });

    it('14 low-code: the analyst designs Engineering Problem in the studio, a reviewer publishes it, CRITICAL ⇒ URGENT and escalation after 2 h', async () => {
      const content = {
        documents: [
          ENGINEERING_PROBLEM,
          ENGINEERING_PROBLEM_FORM,
          ENGINEERING_PROBLEM_WORKFLOW,
          ENGINEERING_MENU,
          ...RULES,
        ],
        grants: {
          quality_inspector: ['engineering_problem:*'],
          operator: ['engineering_problem:read', 'engineering_problem:create'],
        },
        extensionFields: [
          {
            entity: 'inspection',
            name: 'customer_complaint_no',
            definition: { type: 'string', length: 32, label: { en: 'Customer complaint', zh: '客诉单号' } },
          },
        ],
      };
      const draft = await create('analyst', '/api/studio/change-sets', {
        title: 'Engineering problems',
        content,
      });
      const preview = await get('analyst', `/api/studio/change-sets/${String(draft.id)}/preview`);
      expect(preview.valid).toBe(true);
      const submit = await call(
        'analyst',
        'POST',
        `/api/studio/change-sets/${String(draft.id)}/actions/submit`,
        {
          version: draft.version,
        },
      );
      expect(submit.statusCode).toBeLessThan(300);
      const submitted = submit.json().data.record as Row;
      expect(
        (
          await call('analyst', 'POST', `/api/studio/change-sets/${String(draft.id)}/publish`, {
            version: submitted.version,
          })
        ).statusCode,
      ).toBe(403);
      const published = await call(
        'reviewer',
        'POST',
        `/api/studio/change-sets/${String(draft.id)}/publish`,
        {
          version: submitted.version,
        },
      );
      expectStatus(published, 200, 'publish');

      // No redeploy: the list, form and menu answer at once.
      await signIn('inspector');
      await signIn('operator');
      const menu = JSON.stringify(await get('inspector', '/api/auth/me'));
      expect(menu).toContain('engineering_problem');
      const form = JSON.stringify(await get('inspector', '/api/ui/forms/engineering_problem'));
      expect(form).toContain('"name":"dueDate"');

      const future = new Date(Date.now() + 5 * DAY).toISOString().slice(0, 10);
      const bad = await call('operator', 'POST', '/api/engineering-problems', {
        title: 'Bad',
        severity: 'LOW',
        dueDate: '2020-01-01',
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'title', rule: 'minLength' }),
          expect.objectContaining({ field: 'dueDate', rule: 'range' }),
        ]),
      );
      // The same refusal in the caller's language: fields named by their labels, codes unchanged.
      await speaks('operator', 'zh');
      const inChinese = await call('operator', 'POST', '/api/engineering-problems', {
        title: 'Bad',
        severity: 'LOW',
        dueDate: '2020-01-01',
      });
      await speaks('operator', 'en');
      expect(inChinese.statusCode).toBe(422);
      expect(inChinese.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: '数据校验未通过' });
      expect(inChinese.json().errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'title', rule: 'minLength', message: '标题 至少 5 个字符' }),
          expect.objectContaining({ field: 'dueDate', rule: 'range', message: '到期日 必须是将来的时间' }),
        ]),
      );
      const minor = await create('operator', '/api/engineering-problems', {
        title: 'Label misprint on carton',
        severity: 'LOW',
        dueDate: future,
        tags: ['packing'],
      });
      expect(minor).toMatchObject({ status: 'OPEN', priority: 'NORMAL' });
      expect(minor.epNo).toMatch(/^EP-[0-9]{8}-[0-9]{3}$/);
      const critical = await create('operator', '/api/engineering-problems', {
        title: 'Counter jams on worn notes',
        severity: 'CRITICAL',
        dueDate: future,
        tags: ['field', 'jam'],
      });
      // The synchronous rule answered in the same response.
      expect(critical).toMatchObject({ status: 'OPEN', priority: 'URGENT' });
      const page = await get(
        'inspector',
        '/api/engineering-problems?filter[severity][eq]=CRITICAL&sort=-createdAt&page=1&pageSize=1&search=jams',
      );
      expect(page).toMatchObject({ total: 1, page: 1, pageSize: 1 });
      expect((page.items as Row[])[0]!.id).toBe(critical.id);
      expect((await items('inspector', '/api/engineering-problems?sort=createdAt')).map((p) => p.id)).toEqual(
        [minor.id, critical.id],
      );

      // The 2 h escalation timer is pending on the critical problem only; when it falls due it escalates.
      const timers = () =>
        mes.query<{ record_id: string; status: string; due_ms: number | string }>(
          "SELECT record_id, status, due_ms FROM auto_job WHERE rule = 'engineering_problem_escalation' ORDER BY id",
        );
      // A timer starts on every open problem; the rule's condition is checked when it falls due.
      const pending = await waitForValue('the escalation timers', async () => {
        const rows = await timers();
        return rows.length === 2 ? rows : undefined;
      });
      expect(pending.map((row) => [Number(row.record_id), row.status])).toEqual([
        [minor.id, 'PENDING'],
        [critical.id, 'PENDING'],
      ]);
      const timer = pending[1];
      const hoursAway = (Number(timer!.due_ms) - Date.now()) / 3_600_000;
      expect(hoursAway).toBeGreaterThan(1.9);
      expect(hoursAway).toBeLessThanOrEqual(2);
      await mes.query("UPDATE auto_job SET due_ms = 0 WHERE rule = 'engineering_problem_escalation'");
      const escalated = await waitForValue('the escalation', async () => {
        const problem = await get('inspector', `/api/engineering-problems/${String(critical.id)}`);
        return problem.status === 'ESCALATED' ? problem : undefined;
      });
      expect(escalated.priority).toBe('URGENT');
      await waitFor('both timers to run', async () =>
        (await timers()).every((row) => row.status !== 'PENDING' && row.status !== 'RUNNING'),
      );
      expect(await get('inspector', `/api/engineering-problems/${String(minor.id)}`)).toMatchObject({
        status: 'OPEN',
        priority: 'NORMAL',
      });
      expect(await eventTypes('engineering_problem', critical.id)).toContain('engineering_problem.escalated');
      await waitFor('the supervisor notified', async () => {
        const [row] = await mes.query<{ n: number | string }>(
          'SELECT COUNT(*) AS n FROM auto_notification WHERE user_id = ?',
          [String(ids.qmanager)],
        );
        return Number(row!.n) > 0;
      });

      // The inspector investigates (an assignee is required), resolves with a solution and closes.
      const noAssignee = await call(
        'inspector',
        'POST',
        `/api/engineering-problems/${String(critical.id)}/actions/investigate`,
        {},
      );
      expect(noAssignee.statusCode).toBe(422);
      await act('inspector', 'engineering-problems', critical.id, 'investigate', {
        fields: { assigneeId: ids.inspector },
      });
      await act('inspector', 'engineering-problems', critical.id, 'resolve', {
        fields: { solution: 'Feed roller spring replaced by a stiffer one' },
      });
      expect(
        await act('inspector', 'engineering-problems', critical.id, 'close', { fields: { verified: true } }),
      ).toMatchObject({ status: 'CLOSED' });
      expect((await auditActions('engineering_problem', critical.id)).map((row) => [row[0], row[1]])).toEqual(
        [
          ['CREATE', null],
          ['UPDATE', null],
          ['TRANSITION', 'escalate'],
          ['TRANSITION', 'investigate'],
          ['TRANSITION', 'resolve'],
          ['TRANSITION', 'close'],
        ],
      );

      // The tenant's extension field on inspections is written and searched by the inspector.
      const inspection = await create('inspector', '/api/inspections', {
        inspectionType: 'IQC',
        refType: 'GRN',
        refId: plant.grn!.grnNo,
        itemId: plant.pcb!.id,
        inspectorId: ids.inspector,
        inspectionDate: '2026-12-12T10:00:00Z',
        customerComplaintNo: 'CC-2026-0042',
      });
      const found = await items('inspector', '/api/inspections?filter[customerComplaintNo][eq]=CC-2026-0042');
      expect(found.map((row) => row.id)).toEqual([inspection.id]);
      const [audit] = await mes.query<{ n: number | string }>(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'METADATA_CHANGE' AND entity_name = 'change_set' AND record_id = ?",
        [String(draft.csNo)],
      );
      expect(Number(audit!.n)).toBe(1);
    });

    it('keeps an intact audit chain', async () => {
      await expectIntactAuditChain(new EngineDatabase(mes.server.dataSource));
    });
  },
);

/** Acceptance scenario 14's entity as the analyst designs it. */
const ENGINEERING_PROBLEM = {
  entity: 'engineering_problem',
  label: { en: 'Engineering problem', zh: '工程问题' },
  pluralLabel: { en: 'Engineering problems', zh: '工程问题' },
  module: 'quality',
  database: 'core',
  display: 'title',
  identifier: { field: 'ep_no', pattern: 'EP-{YYYYMMDD}-{seq:3}' },
  fields: {
    ep_no: {
      type: 'string',
      length: 32,
      unique: true,
      readonly: true,
      label: { en: 'Problem no.', zh: '问题编号' },
    },
    title: { type: 'string', length: 200, required: true, minLength: 5, label: { en: 'Title', zh: '标题' } },
    severity: {
      type: 'enum',
      values: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
      required: true,
      default: 'MEDIUM',
      label: { en: 'Severity', zh: '严重度' },
    },
    priority: {
      type: 'enum',
      values: ['NORMAL', 'HIGH', 'URGENT'],
      default: 'NORMAL',
      label: { en: 'Priority', zh: '优先级' },
    },
    due_date: { type: 'date', range: 'future', label: { en: 'Due date', zh: '到期日' } },
    assignee: { type: 'relation', to: 'user', label: { en: 'Assignee', zh: '负责人' } },
    tags: { type: 'json', label: { en: 'Tags', zh: '标签' } },
    solution: { type: 'text', maxLength: 4000, label: { en: 'Solution', zh: '解决方案' } },
    verified: { type: 'boolean', default: false, label: { en: 'Verified', zh: '已验证' } },
    status: {
      type: 'enum',
      values: ['OPEN', 'ESCALATED', 'INVESTIGATING', 'RESOLVED', 'CLOSED'],
      default: 'OPEN',
      readonly: true,
      label: { en: 'Status', zh: '状态' },
    },
  },
  list: {
    columns: ['ep_no', 'title', 'severity', 'priority', 'assignee', 'due_date', 'status'],
    defaultSort: '-created_at',
    filters: ['severity', 'priority', 'status', 'due_date'],
    search: ['ep_no', 'title'],
  },
  form: 'engineering_problem',
  workflow: 'engineering_problem_lifecycle',
  events: { created: 'engineering_problem.created' },
};

const ENGINEERING_PROBLEM_FORM = {
  form: 'engineering_problem',
  entity: 'engineering_problem',
  label: { en: 'Engineering problem', zh: '工程问题' },
  sections: [
    {
      title: { en: 'Problem', zh: '问题' },
      columns: 2,
      fields: ['ep_no', 'title', 'severity', 'priority', 'tags'],
    },
    {
      title: { en: 'Handling', zh: '处理' },
      columns: 2,
      fields: ['assignee', 'due_date', 'solution', 'verified', 'status'],
    },
  ],
};

const ENGINEERING_PROBLEM_WORKFLOW = {
  workflow: 'engineering_problem_lifecycle',
  entity: 'engineering_problem',
  field: 'status',
  version: 1,
  label: { en: 'Engineering problem lifecycle', zh: '工程问题流程' },
  initial: 'OPEN',
  states: {
    OPEN: { label: { en: 'Open', zh: '待处理' } },
    ESCALATED: { label: { en: 'Escalated', zh: '已升级' } },
    INVESTIGATING: { label: { en: 'Investigating', zh: '调查中' } },
    RESOLVED: { label: { en: 'Resolved', zh: '已解决' } },
    CLOSED: { label: { en: 'Closed', zh: '已关闭' }, final: true },
  },
  transitions: [
    {
      action: 'escalate',
      label: { en: 'Escalate', zh: '升级' },
      from: ['OPEN'],
      to: 'ESCALATED',
      roles: ['quality_manager'],
      emits: ['engineering_problem.escalated'],
    },
    {
      action: 'investigate',
      label: { en: 'Investigate', zh: '开始调查' },
      from: ['OPEN', 'ESCALATED'],
      to: 'INVESTIGATING',
      roles: ['quality_inspector'],
      requiredFields: ['assignee'],
    },
    {
      action: 'resolve',
      label: { en: 'Resolve', zh: '解决' },
      from: ['INVESTIGATING'],
      to: 'RESOLVED',
      roles: ['quality_inspector'],
      requiredFields: ['solution'],
    },
    {
      action: 'close',
      label: { en: 'Close (verified)', zh: '验证关闭' },
      from: ['RESOLVED'],
      to: 'CLOSED',
      roles: ['quality_inspector'],
      requiredFields: ['verified'],
      guard: 'verified == true',
      guardMessage: { en: 'Verify the solution before closing', zh: '关闭前请验证解决方案' },
    },
  ],
};

const ENGINEERING_MENU = {
  menu: 'engineering',
  label: { en: 'Engineering', zh: '工程' },
  module: 'quality',
  order: 45,
  items: [
    {
      id: 'engineering_problems',
      label: { en: 'Engineering problems', zh: '工程问题' },
      order: 10,
      entity: 'engineering_problem',
    },
  ],
};

/** "CRITICAL ⇒ URGENT, escalate after 2 hours" as rules of the change set. */
const RULES = [
  {
    rule: 'engineering_problem_critical_urgent',
    label: { en: 'Critical problems are urgent', zh: '严重问题为紧急' },
    module: 'quality',
    entity: 'engineering_problem',
    trigger: { on: 'created' },
    when: "severity == 'CRITICAL'",
    actions: [{ set: { priority: 'URGENT' } }],
  },
  {
    rule: 'engineering_problem_escalation',
    label: { en: 'Escalate critical problems open for 2 hours', zh: '严重问题 2 小时未处理则升级' },
    module: 'quality',
    entity: 'engineering_problem',
    trigger: { on: 'timer', state: 'OPEN', after: { hours: 2 } },
    when: "severity == 'CRITICAL'",
    actions: [
      { set: { priority: 'URGENT' } },
      { transition: 'escalate', reason: 'Critical and still open after 2 hours' },
      {
        notify: {
          roles: ['quality_manager'],
          title: { en: 'Engineering problem {ep_no} escalated', zh: '工程问题 {ep_no} 已升级' },
        },
      },
    ],
  },
];
