/**
 * The demo plant at work: what the demo users would have done on the seeded plant, done as them
 * through the engine once it is wired — records through EntityService (identifiers, validation,
 * domain hooks, audit and outbox), state changes through workflow actions (guards, approvals,
 * history). NCRs for the failed inspections, serials of completed lots packed into boxes and onto
 * pallets, OQC, shipments, molds, and with the procurement and maintenance plugins (installed here)
 * requisitions, purchase orders with pending approvals, a goods receipt, maintenance plans and
 * orders. Each part runs only while its entity holds no row of the tenant, so restarts add nothing
 * twice and a plant that has worked keeps its own data. Deterministic but for the dates the engine
 * stamps (identifiers carry the day they are made).
 */
import { apiPropertyOf } from '../../metadata/src/model/api-schema';
import { hasPermission, permissionsOf } from '../../metadata/src/model/permissions';
import type { DemoWork } from '../../platform/src/bootstrap/start-server';
import { ApiError } from '../../platform/src/crud/errors';
import { createRequestContext } from '../../platform/src/crud/request-context';
import type { EntityRecord, RequestContext } from '../../platform/src/crud/types';
import { matrixOf } from '../../platform/src/security/principal';
import { DEMO_USERS } from '../../platform/src/security/demo-seed';
import type { WorkflowActor } from '../../platform/src/workflow/actor';

type Row = Record<string, unknown>;

/** The plugins the demo plant works with, unless `MES_DEMO_PLUGINS` names others (empty: none). */
export const DEMO_PLUGINS = ['procurement', 'maintenance'];
/** The site the demo plant seed creates: the sign that the tenant holds the demo plant. */
const DEMO_SITE = 'CN-EAST';
const BOX_CAPACITY = 5;
const BOXES_PER_PALLET = 5;
/** Serials packed (whole lots, the first completed ones): the rest of the finished goods wait for packing. */
const PACKED_SERIALS = 150;
const PALLETS_PER_SHIPMENT = 1;

interface Worker {
  id: number;
  ctx: RequestContext;
  actor: WorkflowActor;
}

export async function demoPlantAtWork(work: DemoWork): Promise<Record<string, number>> {
  const env = work.env;
  const counts: Record<string, number> = {};
  const system = () => createRequestContext(work.registry, { tenantId: work.tenantId, userId: 'seed' });
  if (!(await holdsDemoPlant(work, system()))) return counts;

  const wanted = env.MES_DEMO_PLUGINS === undefined ? DEMO_PLUGINS : splitList(env.MES_DEMO_PLUGINS);
  const installed = new Set((await work.plugins.list()).map((plugin) => plugin.name));
  for (const name of wanted) {
    if (installed.has(name)) continue;
    const started = Date.now();
    await work.plugins.install(
      name,
      { tenantId: work.tenantId, id: 'seed', name: 'demo plant', ip: null, userAgent: null, traceId: null },
      true,
    );
    work.log(`demo plant: plugin ${name} installed and enabled in ${Date.now() - started} ms`);
  }

  const users = await usersByName(work, system());
  // Each demo user acts with the roles the demo gives them (demo-seed.ts), as after signing in.
  const as = (username: string): Worker => {
    const id = users.get(username);
    if (id === undefined) throw new Error(`demo plant: no demo user '${username}'`);
    const demo = DEMO_USERS.find((user) => user.username === username);
    const roles = demo ? [demo.role, ...(demo.moreRoles ?? [])] : [];
    const ctx = createRequestContext(work.registry, {
      tenantId: work.tenantId,
      userId: String(id),
      traceId: 'demo-plant-at-work',
    });
    const granted = permissionsOf(matrixOf(ctx.model), roles);
    return {
      id,
      ctx,
      actor: { userId: String(id), roles, hasPermission: (code) => hasPermission(granted, code) },
    };
  };
  if (!['inspector', 'qmanager', 'clerk', 'operator', 'admin'].every((name) => users.has(name)))
    return counts;

  const parts: [string, string, (tools: Tools) => Promise<number>][] = [
    ['ncr', 'NCRs of failed inspections', ncrsOfFailedInspections],
    ['box', 'boxes, pallets, OQC and shipments', packAndShip],
    ['mold_master', 'molds', molds],
    ['purchase_order', 'requisitions, purchase orders and a goods receipt', procurement],
    ['maintenance_order', 'maintenance plans and orders', maintenance],
  ];
  for (const [entity, what, part] of parts) {
    const ctx = system();
    if (!ctx.model.entities.has(entity)) continue;
    if (!(await isEmpty(work, ctx, entity))) continue;
    const tools = new Tools(work, as);
    const started = Date.now();
    counts[entity] = await part(tools).catch((error: unknown) => {
      const details = error instanceof ApiError && error.details ? ` ${JSON.stringify(error.details)}` : '';
      throw new Error(`demo plant: ${what}: ${(error as Error).message}${details}`, { cause: error });
    });
    work.log(`demo plant: ${what} (${counts[entity]} ${entity}) in ${Date.now() - started} ms`);
  }
  return counts;
}

/** The engine calls of a part, as the demo users. */
class Tools {
  constructor(
    readonly work: DemoWork,
    readonly as: (username: string) => Worker,
  ) {}

  get model() {
    return this.work.registry.current();
  }

  /** Rows by a list query (metadata names in `query` are API names, as over HTTP). */
  async rows(entity: string, query: Row, who: Worker = this.as('admin')): Promise<Row[]> {
    const found: Row[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const parsed = this.work.service.parseListQuery(
        entity,
        { pageSize: '500', count: 'none', ...query, cursor },
        who.ctx.model,
      );
      const page = await this.work.service.list(entity, parsed, who.ctx);
      found.push(...page.items);
      cursor = page.nextCursor;
    }
    return found;
  }

  async create(who: Worker, entity: string, body: Row): Promise<EntityRecord> {
    return this.work.service.create(entity, this.api(entity, body), who.ctx);
  }

  /** Creates the rows in one bulk write and returns them read back in order. */
  async createAll(who: Worker, entity: string, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    const ids: number[] = [];
    for (let start = 0; start < rows.length; start += 500) {
      const chunk = rows.slice(start, start + 500).map((row) => this.api(entity, row));
      ids.push(...(await this.work.service.bulk(entity, { mode: 'create', rows: chunk }, who.ctx)).ids);
    }
    const byId = new Map<number, Row>();
    for (let start = 0; start < ids.length; start += 200) {
      const slice = ids.slice(start, start + 200);
      for (const row of await this.rows(entity, { filter: { id: { in: slice.join(',') } } }, who))
        byId.set(Number(row.id), row);
    }
    return ids.map((id) => byId.get(id) ?? { id });
  }

  async bulkUpdate(who: Worker, entity: string, rows: Row[]): Promise<void> {
    if (rows.length > 0) await this.work.service.bulk(entity, { mode: 'update', rows }, who.ctx);
  }

  async update(who: Worker, entity: string, id: number, body: Row): Promise<EntityRecord> {
    const current = await this.work.service.get(entity, id, who.ctx);
    return this.work.service.update(
      entity,
      id,
      { ...this.api(entity, body), version: current.version },
      who.ctx,
    );
  }

  /** Fires a workflow action as the user; the action must apply (or wait for more approvals). */
  async act(who: Worker, entity: string, id: unknown, action: string, fields?: Row, reason?: string) {
    const result = await this.work.workflows.fire(who.ctx, who.actor, entity, Number(id), action, {
      ...(fields ? { fields: this.api(entity, fields) } : {}),
      ...(reason ? { reason } : {}),
    });
    if (result.status !== 'APPLIED' && result.status !== 'PENDING_APPROVAL')
      throw new Error(`demo plant: ${entity} ${String(id)} ${action}: ${result.status}`);
    return result;
  }

  /** Metadata (snake_case) names → API properties; API names pass through. */
  private api(entity: string, body: Row): Row {
    const compiled = this.model.entities.get(entity);
    const out: Row = {};
    for (const [name, value] of Object.entries(body)) {
      const field = compiled?.fieldsByName.get(name);
      if (field && field.type === 'children' && Array.isArray(value)) {
        const child = field.children?.target ?? '';
        out[apiPropertyOf(field)] = (value as Row[]).map((row) => this.api(child, row));
      } else out[field ? apiPropertyOf(field) : name] = value;
    }
    return out;
  }
}

async function holdsDemoPlant(work: DemoWork, ctx: RequestContext): Promise<boolean> {
  if (!ctx.model.entities.has('site')) return false;
  const query = work.service.parseListQuery(
    'site',
    { pageSize: '1', count: 'none', filter: { siteCode: { eq: DEMO_SITE } } },
    ctx.model,
  );
  return (await work.service.list('site', query, ctx)).items.length > 0;
}

async function isEmpty(work: DemoWork, ctx: RequestContext, entity: string): Promise<boolean> {
  const query = work.service.parseListQuery(
    entity,
    { pageSize: '1', count: 'none', includeDeleted: 'true' },
    ctx.model,
  );
  return (await work.service.list(entity, query, ctx)).items.length === 0;
}

async function usersByName(work: DemoWork, ctx: RequestContext): Promise<Map<string, number>> {
  const names = DEMO_USERS.map((user) => user.username);
  const query = work.service.parseListQuery(
    'user',
    { pageSize: '100', count: 'none', fields: 'id,username', filter: { username: { in: names.join(',') } } },
    ctx.model,
  );
  const page = await work.service.list('user', query, ctx);
  return new Map(page.items.map((row) => [String(row.username), Number(row.id)]));
}

const NCR_SOURCE: Record<string, string> = { IQC: 'IQC', IPQC: 'IPQC', OQC: 'OQC', FAI: 'FAI', FQC: 'FQC' };

/**
 * One NCR per failed inspection, raised by the inspector for the quality department: IQC failures
 * against the supplier's material, in-process and final failures against the work order. A quarter
 * stay open, a quarter are being worked, a quarter are resolved waiting for the quality manager's
 * closing signature, the rest are started by their assignee.
 */
async function ncrsOfFailedInspections(t: Tools): Promise<number> {
  const inspector = t.as('inspector');
  const qmanager = t.as('qmanager');
  const failed = await t.rows('inspection', { filter: { status: { eq: 'FAILED' } }, sort: 'id' });
  if (failed.length === 0) return 0;
  const defects = await t.rows('qms_code', { filter: { codeType: { eq: 'DEFECT' } }, sort: 'id' });
  const causes = await t.rows('qms_code', { filter: { codeType: { eq: 'CAUSE' } }, sort: 'id' });
  const [qc] = await t.rows('department', { filter: { deptCode: { eq: 'QC' } } });
  const rows = failed.map((inspection, i) => {
    const type = String(inspection.inspectionType);
    const iqc = type === 'IQC';
    const defect = defects[iqc ? i % 3 : 3 + (i % 7)] ?? defects[0];
    const date = String(inspection.inspectionDate ?? '2026-10-01T00:00:00Z').slice(0, 10);
    return {
      title: `${type} ${String(inspection.inspNo)} failed: ${String(defect?.description ?? 'defect found')}`,
      source: NCR_SOURCE[type] ?? 'OTHER',
      inspection: inspection.id,
      item: inspection.itemId,
      supplier: iqc ? inspection.supplierId : undefined,
      work_order: iqc ? undefined : inspection.workOrderId,
      lot_no: iqc ? inspection.supplierLot : inspection.refId,
      affected_quantity: Number(inspection.defectQuantity ?? 1),
      severity: iqc || type === 'OQC' ? 'HIGH' : i % 5 === 0 ? 'CRITICAL' : 'MEDIUM',
      category: iqc ? 'MATERIAL' : 'PROCESS',
      defect_code: defect?.id,
      description: `${String(inspection.defectQuantity ?? 1)} defective in a sample of ${String(inspection.sampleSize ?? '?')} at ${type} ${String(inspection.inspNo)}.`,
      containment_action: iqc
        ? 'Supplier lot quarantined in the quality hold area'
        : 'Lot stopped at the station',
      department: qc?.id,
      assignee: i % 2 === 0 ? inspector.id : qmanager.id,
      due_date: addDays(date, 14),
    };
  });
  const ncrs = await t.createAll(inspector, 'ncr', rows);
  for (const [i, ncr] of ncrs.entries()) {
    const stage = i % 4;
    if (stage === 0) continue;
    const owner = Number(ncr.assigneeId) === inspector.id ? inspector : qmanager;
    await t.act(owner, 'ncr', ncr.id, 'start');
    if (stage !== 2) continue;
    const cause = causes[rows[i]!.category === 'MATERIAL' ? 0 : 4] ?? causes[0];
    await t.update(owner, 'ncr', Number(ncr.id), { cause_code: cause?.id });
    await t.act(owner, 'ncr', ncr.id, 'resolve', {
      disposition: rows[i]!.category === 'MATERIAL' ? 'RETURN_TO_SUPPLIER' : 'REWORK',
      root_cause: String(cause?.description ?? 'Root cause found'),
      corrective_action: 'Corrective action agreed and implemented',
    });
  }
  return ncrs.length;
}

/**
 * The serials of the first completed lots (about 150, whole lots) packed five to a box by the
 * operator, the boxes loaded five to a pallet by the clerk (the domain hooks count them and write
 * the genealogy), OQC by the inspector on every pallet but the last, and the passed pallets shipped
 * one to a shipment — the first delivered, the others shipped but the last, which waits for the clerk.
 */
async function packAndShip(t: Tools): Promise<number> {
  const operator = t.as('operator');
  const clerk = t.as('clerk');
  const inspector = t.as('inspector');
  const serials = await t.rows('serial_number', {
    filter: { status: { eq: 'COMPLETED' } },
    sort: 'id',
    fields: 'id,sn,lotId,itemId,workOrderId,completedAt',
  });
  if (serials.length === 0) return 0;
  const byLot = new Map<number, Row[]>();
  for (const serial of serials) {
    const lot = Number(serial.lotId);
    byLot.set(lot, [...(byLot.get(lot) ?? []), serial]);
  }
  const boxPlans: { lot: Row[] }[] = [];
  let packed = 0;
  for (const lotSerials of byLot.values()) {
    if (packed >= PACKED_SERIALS) break;
    packed += lotSerials.length;
    for (let start = 0; start < lotSerials.length; start += BOX_CAPACITY)
      boxPlans.push({ lot: lotSerials.slice(start, start + BOX_CAPACITY) });
  }
  const boxes = await t.createAll(
    operator,
    'box',
    boxPlans.map(({ lot: [first] }) => ({
      item: first!.itemId,
      work_order: first!.workOrderId,
      lot: first!.lotId,
      capacity: BOX_CAPACITY,
      packed_by: operator.id,
      gross_weight: 12.5,
    })),
  );
  await t.createAll(
    operator,
    'map_box_sn',
    boxPlans.flatMap(({ lot }, b) =>
      lot.map((serial) => ({
        box: boxes[b]!.id,
        box_no: boxes[b]!.boxNo,
        sn: serial.sn,
        packed_at: serial.completedAt ?? '2026-10-01T08:00:00.000Z',
        packed_by: operator.id,
      })),
    ),
  );
  const [store] = await t.rows('location', { filter: { zone: { eq: 'FG1' } } });
  const palletCount = Math.ceil(boxes.length / BOXES_PER_PALLET);
  const pallets = await t.createAll(
    clerk,
    'pallet',
    Array.from({ length: palletCount }, () => ({ max_boxes: BOXES_PER_PALLET, location: store?.id })),
  );
  await t.createAll(
    clerk,
    'map_pallet_box',
    boxes.map((box, b) => ({
      pallet: pallets[Math.floor(b / BOXES_PER_PALLET)]!.id,
      pallet_no: pallets[Math.floor(b / BOXES_PER_PALLET)]!.palletNo,
      box_no: box.boxNo,
      loaded_at: '2026-10-30T10:00:00.000Z',
      loaded_by: clerk.id,
    })),
  );
  // The flat serial map names each packed serial's box and pallet.
  const palletOfBox = new Map(
    boxes.map((box, b) => [String(box.boxNo), String(pallets[Math.floor(b / BOXES_PER_PALLET)]!.palletNo)]),
  );
  const boxOfSerial = new Map(
    boxPlans.flatMap(({ lot }, b) =>
      lot.map((serial) => [String(serial.sn), String(boxes[b]!.boxNo)] as const),
    ),
  );
  const snList = [...boxOfSerial.keys()];
  for (let start = 0; start < snList.length; start += 200) {
    const maps = await t.rows(
      'map_sn',
      { filter: { sn: { in: snList.slice(start, start + 200).join(',') } }, fields: 'id,version,sn' },
      operator,
    );
    await t.bulkUpdate(
      operator,
      'map_sn',
      maps.map((map) => {
        const boxNo = boxOfSerial.get(String(map.sn))!;
        return { id: map.id, version: map.version, boxNo, palletNo: palletOfBox.get(boxNo) };
      }),
    );
  }
  // OQC on each pallet judges every box on it; the last pallet's OQC waits for the inspector.
  for (const [p, pallet] of pallets.entries()) {
    const first = boxes[p * BOXES_PER_PALLET]!;
    const oqc = await t.create(inspector, 'inspection', {
      inspection_type: 'OQC',
      ref_type: 'PLT',
      ref_id: pallet.palletNo,
      item: first.itemId,
      work_order: first.workOrderId,
      inspector: inspector.id,
      lot_size: Number(pallet.maxBoxes) * BOX_CAPACITY,
      sample_size: 13,
      inspection_date: '2026-10-30T14:00:00.000Z',
    });
    if (p === pallets.length - 1 && pallets.length > 1) continue;
    await t.act(inspector, 'inspection', oqc.id, 'start');
    await t.act(inspector, 'inspection', oqc.id, 'pass');
  }
  const customers = await t.rows('customer', { sort: 'id' });
  const passed = pallets.length > 1 ? pallets.slice(0, -1) : pallets;
  const shipmentCount = Math.ceil(passed.length / PALLETS_PER_SHIPMENT);
  for (let s = 0; s < shipmentCount; s++) {
    const customer = customers[s % Math.max(customers.length, 1)];
    const shipment = await t.create(clerk, 'shipment', {
      customer: customer?.id,
      sales_order_no: `SO-2026-${String(1001 + s)}`,
      shipment_date: addDays('2026-10-31', s),
      ship_to_address: customer ? `${String(customer.customerName)}, receiving dock` : undefined,
    });
    for (const pallet of passed.slice(s * PALLETS_PER_SHIPMENT, (s + 1) * PALLETS_PER_SHIPMENT))
      await t.update(clerk, 'pallet', Number(pallet.id), { shipment: shipment.id });
    if (s === shipmentCount - 1 && shipmentCount > 1) continue;
    await t.act(clerk, 'shipment', shipment.id, 'ship', {
      carrier: 'SF Express',
      tracking_no: `SF${String(7_100_000_000 + s * 7919)}`,
    });
    if (s === 0) await t.act(clerk, 'shipment', shipment.id, 'deliver');
  }
  return boxes.length;
}

/**
 * Injection and stamping molds at the suppliers of plastic and metal parts, numbered per supplier;
 * registered by the administrator (no shipped role but admin creates molds).
 */
async function molds(t: Tools): Promise<number> {
  const admin = t.as('admin');
  const suppliers = await t.rows('supplier_master', { sort: 'id', pageSize: '20' });
  const parts = await t.rows('item_master', { filter: { itemType: { eq: 'COMPONENT' } }, sort: 'id' });
  if (suppliers.length === 0) return 0;
  const rows = Array.from({ length: 8 }, (_, i) => {
    const supplier = suppliers[[2, 10, 9, 1][i % 4]! % suppliers.length]!;
    return {
      mold_name: `${i % 2 === 0 ? 'Housing' : 'Bracket'} mold ${i + 1}`,
      supplier: supplier.id,
      item: parts[i % Math.max(parts.length, 1)]?.id,
      mold_type: i % 2 === 0 ? 'INJECTION' : 'STAMPING',
      cavities: [1, 2, 4, 8][i % 4],
      max_shots: 500_000,
      last_maintenance_date: addDays('2026-09-01', i * 7),
      next_maintenance_date: addDays('2026-12-01', i * 7),
      status: i === 5 ? 'MAINTENANCE' : 'ACTIVE',
    };
  });
  return (await t.createAll(admin, 'mold_master', rows)).length;
}

/**
 * The buyer's week: requisitions (a draft, one waiting for approval, one approved), purchase orders
 * (a draft, two waiting for the approver — one large enough for two votes —, one placed with the
 * first supplier, one received on a goods receipt whose IQC waits for the inspector).
 */
async function procurement(t: Tools): Promise<number> {
  const buyer = t.as('buyer');
  const approver = t.as('approver');
  const admin = t.as('admin');
  const inspector = t.as('inspector');
  const [pur] = await t.rows('department', { filter: { deptCode: { eq: 'PUR' } } });
  const raw = await t.rows('item_master', {
    filter: { itemType: { eq: 'RAW' } },
    sort: 'id',
    pageSize: '500',
  });
  const [store] = await t.rows('location', { filter: { zone: { eq: 'RM1' } } });
  const [mold] = await t.rows('mold_master', { sort: 'id', pageSize: '1' });
  const supplierOf = (item: Row) => item.defaultSupplierId;
  const line = (i: number, quantity: number, price: number) => ({
    item: raw[i % raw.length]!.id,
    quantity,
    price,
    supplier: supplierOf(raw[i % raw.length]!),
  });

  const requisitions = [
    {
      title: 'Solder paste for the SMT lines, November',
      lines: [line(2, 400, 18.5)],
      submit: false,
      approve: false,
    },
    {
      title: 'Copper sheet and FR4 laminate for Q1 builds',
      lines: [line(0, 2000, 6.2), line(3, 800, 12)],
      submit: true,
      approve: false,
    },
    {
      title: 'Steel screws M3 for final assembly',
      lines: [line(6, 50000, 0.04)],
      submit: true,
      approve: true,
    },
  ];
  for (const [r, pr] of requisitions.entries()) {
    const created = await t.create(buyer, 'purchase_requisition', {
      title: pr.title,
      requester: buyer.id,
      department: pur?.id,
      required_date: addDays('2026-12-15', r * 7),
      priority: r === 1 ? 'HIGH' : 'NORMAL',
      reason: 'Material plan of the demo plant',
      lines: pr.lines.map((l, n) => ({
        line_no: n + 1,
        item: l.item,
        quantity: l.quantity,
        estimated_price: l.price,
        suggested_supplier: l.supplier,
      })),
    });
    if (pr.submit) await t.act(buyer, 'purchase_requisition', created.id, 'submit');
    if (pr.approve) await t.act(approver, 'purchase_requisition', created.id, 'approve');
  }

  const orders = [
    { lines: [line(10, 1000, 3.2)], stage: 'DRAFT' },
    { lines: [line(11, 5000, 1.15), line(12, 300, 22)], stage: 'SUBMITTED' },
    { lines: [line(13, 20000, 6.8)], stage: 'SUBMITTED' },
    // Placed with the first supplier: its contact (the demo `supplier` user) sees it.
    { lines: [line(20, 600, 14.5)], stage: 'ORDERED' },
    { lines: [line(15, 1200, 2.4)], stage: 'RECEIVED' },
  ];
  let count = 0;
  for (const [o, spec] of orders.entries()) {
    const order = await t.create(buyer, 'purchase_order', {
      supplier: spec.lines[0]!.supplier,
      po_date: addDays('2026-11-23', o),
      required_date: addDays('2026-12-10', o),
      promised_date: addDays('2026-12-08', o),
      buyer: buyer.id,
      payment_terms: 'NET30',
      lines: spec.lines.map((l, n) => ({
        line_no: n + 1,
        item: l.item,
        quantity: l.quantity,
        unit_price: l.price,
      })),
    });
    count++;
    if (spec.stage === 'DRAFT') continue;
    await t.act(buyer, 'purchase_order', order.id, 'submit');
    if (spec.stage === 'SUBMITTED') continue;
    await t.act(approver, 'purchase_order', order.id, 'approve');
    await t.act(buyer, 'purchase_order', order.id, 'place');
    if (spec.stage !== 'RECEIVED') continue;
    const [poLine] = await t.rows('purchase_order_line', { filter: { purchaseOrderId: { eq: order.id } } });
    const receipt = await t.create(admin, 'goods_receipt', {
      purchase_order: order.id,
      supplier: spec.lines[0]!.supplier,
      grn_date: '2026-12-03',
      delivery_note_no: `DN-${String(order.poNo).slice(-3)}-7781`,
      location: store?.id,
      iqc_inspector: inspector.id,
      lines: [
        {
          line_no: 1,
          po_line: poLine?.id,
          item: spec.lines[0]!.item,
          supplier_lot: 'SL-DEMO-2612-01',
          mold: mold?.id,
          quantity: 600,
        },
      ],
    });
    await t.act(admin, 'goods_receipt', receipt.id, 'receive');
  }
  return count;
}

/**
 * Maintenance of the lines' first machines: monthly preventive plans assigned to the technician, and
 * orders for the breakdowns of the shop-floor days — one waiting for the planner's approval, one
 * scheduled for the technician, one in progress, one done and verified.
 */
async function maintenance(t: Tools): Promise<number> {
  const technician = t.as('technician');
  const planner = t.as('mplanner');
  const equipment = await t.rows('equipment', { sort: 'id' });
  if (equipment.length === 0) return 0;
  const machine = (i: number) => equipment[(i * 4) % equipment.length]!;
  const plans = await t.createAll(
    planner,
    'maintenance_plan',
    [0, 1, 2, 3, 4].map((i) => ({
      plan_name: `Monthly preventive maintenance of ${String(machine(i).equipmentName)}`,
      equipment: machine(i).id,
      plan_type: 'PREVENTIVE',
      trigger_type: 'CALENDAR',
      interval_value: 1,
      interval_unit: 'MONTH',
      lead_days: 3,
      next_due_at: `${addDays('2027-03-01', i * 3)}T00:00:00.000Z`,
      estimated_minutes: 90,
      task_template: [
        {
          task_type: 'INSPECT',
          description: 'Check belts, nozzles and feeders',
          standard: 'No wear beyond limits',
        },
        { task_type: 'CLEAN', description: 'Clean and lubricate', standard: 'Per the machine manual' },
      ],
      default_assignee: technician.id,
      planner: planner.id,
    })),
  );
  const breakdowns = await t.rows('equipment_state', {
    filter: { state: { eq: 'BREAKDOWN' } },
    sort: 'startTime',
    pageSize: '20',
  });
  const stages = ['REQUESTED', 'SCHEDULED', 'IN_PROGRESS', 'VERIFIED', 'SCHEDULED'];
  for (const [i, stage] of stages.entries()) {
    const broken = breakdowns[i % Math.max(breakdowns.length, 1)];
    const equipmentId = i === 4 ? plans[0]!.equipmentId : (broken?.equipmentId ?? machine(i).id);
    const order = await t.create(technician, 'maintenance_order', {
      order_type: i === 4 ? 'PREVENTIVE' : 'CORRECTIVE',
      plan: i === 4 ? plans[0]!.id : undefined,
      equipment: equipmentId,
      priority: i === 0 ? 'HIGH' : 'NORMAL',
      title:
        i === 4
          ? 'Preventive maintenance ahead of the plan'
          : `Breakdown on the line's first machine (${i + 1})`,
      failure_description: i === 4 ? undefined : 'Machine stopped with a servo alarm during the shift',
      failure_code: i === 4 ? undefined : 'SERVO-ALM',
      requested_by: technician.id,
      requested_at: String(broken?.startTime ?? '2026-10-29T06:00:00.000Z'),
      equipment_stopped: i !== 4,
      scheduled_end: `${addDays('2026-12-07', i)}T03:00:00.000Z`,
    });
    if (stage === 'REQUESTED') continue;
    await t.act(planner, 'maintenance_order', order.id, 'approve');
    await t.act(planner, 'maintenance_order', order.id, 'schedule', {
      assignee: technician.id,
      scheduled_start: `${addDays('2026-12-07', i)}T01:00:00.000Z`,
    });
    if (stage === 'SCHEDULED') continue;
    await t.act(technician, 'maintenance_order', order.id, 'start');
    if (stage === 'IN_PROGRESS') continue;
    await t.update(technician, 'maintenance_order', Number(order.id), {
      root_cause: 'Encoder cable worn at the drag chain',
      labour_minutes: 75,
    });
    await t.act(technician, 'maintenance_order', order.id, 'finish', {
      work_done: 'Replaced the servo encoder cable; test run of 30 minutes without alarm',
    });
    await t.act(planner, 'maintenance_order', order.id, 'verify', {
      verification_note: 'Machine ran a full shift without alarm',
    });
  }
  return stages.length;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + days * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}
