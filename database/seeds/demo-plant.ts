/**
 * The demo plant: two plants, five lines, twenty workstations, a hundred items, twenty suppliers, 500
 * work orders across every status with their lots, 5,000 serial numbers, inspections with their
 * check items, stock with receipts, and genealogy (trace links, lot-material and serial maps, and the
 * genealogy graph the trace API walks). Deterministic (seeded PRNG, fixed calendar). Every record goes
 * through EntityService.bulk; the graph edges are those the domain hooks write for live transactions.
 */
import type { CompiledEntity } from '../../metadata/src/model';
import type { EntityOperations, RequestContext } from '../../platform/src/crud/types';
import type { SqlExecutor } from '../../platform/src/data/database';
import type { DemoPlant } from '../../platform/src/bootstrap/start-server';
import { nodeKey, writeGenealogy, type GenealogyEdge } from '../../platform/src/trace/genealogy';
import { ensureDemoDepartments } from '../../platform/src/security/demo-departments';
import { demoPlantAtWork } from './demo-work';
import { SeededRandom } from './prng';
import { SeedWriter, type SeedRow } from './seed-writer';

export const DEMO_SEED = 20261125;
const BASE_TIME = Date.UTC(2026, 8, 1, 6, 0, 0);
const HOUR = 3_600_000;
const SERIAL_TARGET = 5000;
/** Edges per INSERT: 8 parameters each stays under SQLite's and MySQL's placeholder limits. */
const GENEALOGY_CHUNK = 1000;

/** Lot state by the state of its work order. */
const LOT_STATUS: Record<string, string> = {
  RELEASED: 'PLANNED',
  IN_PROGRESS: 'IN_PROGRESS',
  ON_HOLD: 'IN_PROGRESS',
  COMPLETED: 'COMPLETED',
};

interface LotInfo {
  lotId: number;
  workOrderId: number;
  item: number;
  line: number;
  quantity: number;
  status: string;
  start: number;
}

export interface SeedReport {
  /** Rows written per entity. */
  counts: Record<string, number>;
  elapsedMs: number;
}

/** True when the database holds no plant and no work order for the tenant (nothing to protect). */
export async function isDemoSeedNeeded(operations: EntityOperations, ctx: RequestContext): Promise<boolean> {
  for (const entity of ['plant', 'work_order']) {
    if (!ctx.model.entities.has(entity)) continue;
    const query = operations.parseListQuery(
      entity,
      { pageSize: '1', count: 'none', includeDeleted: 'true' },
      ctx.model,
    );
    const page = await operations.list(entity, query, ctx);
    if (page.items.length > 0) return false;
  }
  return true;
}

/** The demo plant as `mes serve` injects it into the server. */
export const DEMO_PLANT: DemoPlant = {
  isNeeded: isDemoSeedNeeded,
  seed: seedDemoPlant,
  atWork: (work) => demoPlantAtWork(work),
};

export async function seedDemoPlant(
  operations: EntityOperations,
  sql: SqlExecutor,
  ctx: RequestContext,
  log: (message: string) => void,
): Promise<SeedReport> {
  const started = Date.now();
  const random = new SeededRandom(DEMO_SEED);
  const writer = new SeedWriter(operations, sql, ctx, random, log);
  const at = (hours: number) => new Date(BASE_TIME + hours * HOUR).toISOString();
  /** `YYYYMMDD` of the time `hours` from the base (document numbers carry the day). */
  const dayOf = (hours: number) => at(hours).slice(0, 10).replace(/-/g, '');
  /** The receipt of supplier lot `k` (0..39): two goods receipts a day over the 20 days before the base. */
  const grnOf = (k: number) =>
    `GRN-${dayOf(-24 * (20 - Math.floor(k / 2)))}-${String((k % 2) + 1).padStart(3, '0')}`;
  const enumOf = (entity: string, field: string, preferred: string) =>
    enumValue(ctx.model.entities.get(entity), field, preferred);

  await writer.insert('unit_of_measure', [
    { uom_code: 'PCS', uom_name: 'Piece', uom_class: 'COUNT' },
    { uom_code: 'KG', uom_name: 'Kilogram', uom_class: 'MASS', decimals: 3 },
    { uom_code: 'M', uom_name: 'Metre', uom_class: 'LENGTH', decimals: 3 },
    { uom_code: 'SET', uom_name: 'Set', uom_class: 'COUNT' },
  ]);
  const uoms = writer.idsOf('unit_of_measure');
  // Units converted to a base unit of their class.
  await writer.insert('unit_of_measure', [
    {
      uom_code: 'G',
      uom_name: 'Gram',
      uom_class: 'MASS',
      base_unit: uoms[1],
      conversion_factor: 0.001,
      decimals: 1,
    },
    {
      uom_code: 'MM',
      uom_name: 'Millimetre',
      uom_class: 'LENGTH',
      base_unit: uoms[2],
      conversion_factor: 0.001,
    },
    {
      uom_code: 'BOX10',
      uom_name: 'Box of 10',
      uom_class: 'COUNT',
      base_unit: uoms[0],
      conversion_factor: 10,
    },
  ]);
  const [site] = await writer.insert('site', [{ site_code: 'CN-EAST', site_name: 'East China campus' }]);
  const departments = await ensureDemoDepartments(sql, ctx.tenantId, ctx.model);
  // User codes are `<TENANT>-<DEPT>-NNNN`: every user belongs to a department.
  const staffDepartments = ['PRD', 'PRD', 'PRD', 'QC', 'QC', 'LOG', 'ENG', 'MNT'];
  const users = await writer.insert(
    'user',
    ['li.wei', 'zhang.min', 'wang.fang', 'chen.jie', 'liu.yang', 'zhao.lei', 'sun.hui', 'zhou.qiang'].map(
      (username, i) => ({
        username,
        real_name: username.split('.').map(capitalise).join(' '),
        email: `${username}@demo.btc-mes.local`,
        employee_no: `E${1001 + i}`,
        department: departments.get(staffDepartments[i]!),
      }),
    ),
  );

  const plants = await writer.insert('plant', [
    {
      plant_code: 'P100',
      plant_name: 'Shanghai Electronics Plant',
      site,
      timezone: 'Asia/Shanghai',
      address: '88 Zhangjiang Rd, Shanghai',
    },
    {
      plant_code: 'P200',
      plant_name: 'Suzhou Assembly Plant',
      site,
      timezone: 'Asia/Shanghai',
      address: '18 Xinghu St, Suzhou',
    },
  ]);
  const lineSpecs = [
    { code: 'A01', name: 'SMT line 1', type: 'SMT', plant: 0 },
    { code: 'A02', name: 'DIP line 1', type: 'DIP', plant: 0 },
    { code: 'A03', name: 'Final assembly 1', type: 'ASSEMBLY', plant: 0 },
    { code: 'B01', name: 'Final assembly 2', type: 'ASSEMBLY', plant: 1 },
    { code: 'B02', name: 'Test and packing', type: 'PACKING', plant: 1 },
  ];
  const lines = await writer.insert(
    'production_line',
    lineSpecs.map((l, i) => ({
      line_code: l.code,
      line_name: l.name,
      plant: plants[l.plant],
      line_type: enumOf('production_line', 'line_type', l.type),
      supervisor: users[i % Math.max(users.length, 1)],
      capacity_per_hour: 120 + i * 30,
      takt_time_sec: 30 + i * 5,
    })),
  );

  const locations = await writer.insert('location', [
    ...plants.map((plant, i) => ({
      location_name: `Raw material warehouse P${i + 1}00`,
      location_type: 'WAREHOUSE',
      site,
      zone: `RM${i + 1}`,
      plant,
    })),
    ...plants.map((plant, i) => ({
      location_name: `Finished goods warehouse P${i + 1}00`,
      location_type: 'WAREHOUSE',
      site,
      zone: `FG${i + 1}`,
      plant,
    })),
    ...lines.map((line, i) => ({
      location_name: `Line side ${lineSpecs[i].code}`,
      location_type: enumOf('location', 'location_type', 'LINE_SIDE'),
      site,
      line,
      zone: 'LS',
    })),
    {
      location_name: 'Quality hold',
      location_type: enumOf('location', 'location_type', 'QUALITY'),
      site,
      zone: 'QH',
    },
  ]);
  const stationTypes = ['PRODUCTION', 'PRODUCTION', 'TEST', 'PACKING'];
  const stations = await writer.insert(
    'workstation',
    lines.flatMap((line, l) =>
      stationTypes.map((type, s) => ({
        station_code: `${lineSpecs[l].code}-S${String(s + 1).padStart(2, '0')}`,
        station_name: `${lineSpecs[l].name} station ${s + 1}`,
        line,
        station_type: enumOf('workstation', 'station_type', type),
        op_code: `OP${(s + 1) * 10}`,
        sequence: s + 1,
        cycle_time_sec: random.decimal(20, 60),
        location: locations[2 * plants.length + l],
      })),
    ),
  );

  const supplierNames = [
    'Huaxin Electronics',
    'Jiangnan Metals',
    'Pearl River Plastics',
    'Everbright PCB',
    'Delta Passive Components',
    'Sunrise Cables',
    'Kunlun Fasteners',
    'Baiyun Packaging',
    'Yangtze Semiconductors',
    'Harbin Precision Castings',
    'Ningbo Molds',
    'Shenzhen Connectors',
    'Tianjin Batteries',
    'Qingdao Rubber',
    'Wuxi Sensors',
    'Hefei Displays',
    'Xiamen Magnetics',
    'Chengdu Optics',
    'Dalian Bearings',
    'Foshan Adhesives',
  ];
  const supplierTypes = ['COMPONENT', 'MATERIAL', 'MATERIAL', 'COMPONENT', 'LOGISTICS'];
  const suppliers = await writer.insert(
    'supplier_master',
    supplierNames.map((name, i) => ({
      supplier_name: `${name} Co., Ltd.`,
      short_name: name.split(' ')[0],
      supplier_type: enumOf('supplier_master', 'supplier_type', supplierTypes[i % supplierTypes.length]),
      contact_name: `Manager ${name.split(' ')[0]}`,
      country: 'CN',
      payment_terms: i % 3 === 0 ? 'NET60' : 'NET30',
      quality_rating: random.decimal(3.2, 5),
    })),
  );

  const itemKinds = [
    ...Array.from({ length: 50 }, (_, i) => ({ type: 'RAW', name: `${pick(RAW_MATERIALS, i)} ${i + 1}`, i })),
    ...Array.from({ length: 30 }, (_, i) => ({
      type: 'COMPONENT',
      name: `${pick(COMPONENTS, i)} ${i + 1}`,
      i,
    })),
    ...Array.from({ length: 20 }, (_, i) => ({ type: 'FINISHED', name: `${pick(PRODUCTS, i)} ${i + 1}`, i })),
  ];
  const items = await writer.insert(
    'item_master',
    itemKinds.map((k) => ({
      item_name: k.name,
      item_type: k.type,
      specification: `${k.type.toLowerCase()} spec rev ${String.fromCharCode(65 + (k.i % 5))}`,
      uom: k.type === 'RAW' && k.i % 4 === 0 ? uoms[1] : uoms[0],
      default_supplier: k.type === 'FINISHED' ? undefined : suppliers[k.i % suppliers.length],
      serialized: k.type === 'FINISHED',
      lot_controlled: true,
      unit_cost:
        k.type === 'RAW'
          ? random.decimal(0.05, 20)
          : k.type === 'COMPONENT'
            ? random.decimal(5, 120)
            : random.decimal(150, 2000),
      lead_time_days: random.int(3, 45),
      revision: 'A',
    })),
  );
  const rawItems = items.slice(0, 50);
  const finishedItems = items.slice(80);
  const componentItems = items.slice(50, 80);
  await seedProcessAndReference(writer, { rawItems, componentItems, finishedItems, lines, stations, plants });

  const statuses = enumValues(ctx.model.entities.get('work_order'), 'status');
  const workOrderRows: SeedRow[] = [];
  const workOrderMeta: { item: number; line: number; quantity: number; status: string; start: number }[] = [];
  for (let i = 0; i < 500; i++) {
    const line = lines[i % lines.length];
    const finished = i % 10 < 7;
    const item = finished
      ? finishedItems[i % finishedItems.length]
      : componentItems[i % componentItems.length];
    const quantity = random.int(5, 50) * 10;
    const status = statuses[i % statuses.length] ?? 'DRAFT';
    const start = i * 3 - 600;
    workOrderMeta.push({ item, line, quantity, status, start });
    workOrderRows.push({
      item,
      line,
      planned_quantity: quantity,
      priority: enumOf('work_order', 'priority', pick(['NORMAL', 'NORMAL', 'HIGH', 'LOW', 'URGENT'], i)),
      status,
      planned_start: at(start),
      planned_end: at(start + random.int(6, 30)),
      cancel_reason: status === 'CANCELLED' ? 'Customer order withdrawn' : undefined,
      remarks: i % 25 === 0 ? 'Expedite: key account' : undefined,
    });
  }
  const workOrders = await writer.insert('work_order', workOrderRows);
  await writer.backfillState(
    'work_order',
    workOrders.map((id, i) => {
      const wo = workOrderMeta[i];
      const started = wo.status === 'IN_PROGRESS' || wo.status === 'ON_HOLD' || wo.status === 'COMPLETED';
      const done = wo.status === 'COMPLETED';
      const actual = done ? Math.round(wo.quantity * 0.97) : started ? Math.round(wo.quantity * 0.4) : 0;
      return {
        id,
        values: {
          status: wo.status,
          actual_quantity: actual,
          scrap_quantity: done ? wo.quantity - actual : 0,
          actual_start: started ? at(wo.start + 1) : undefined,
          actual_end: done ? at(wo.start + 20) : undefined,
          yield_rate: done ? 97 : undefined,
        },
      };
    }),
  );

  const producing = new Set(['RELEASED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED']);
  const lotOrders = workOrderMeta
    .map((wo, i) => ({ ...wo, workOrderId: workOrders[i] }))
    .filter((wo) => wo.workOrderId !== undefined && producing.has(wo.status));
  const lots = await writer.insert(
    'production_lot',
    lotOrders.map((wo) => ({
      work_order: wo.workOrderId,
      item: wo.item,
      lot_quantity: wo.quantity,
      remarks: wo.status === 'ON_HOLD' ? 'Held for material shortage' : undefined,
    })),
  );
  const lotInfo = lots.map((lotId, i) => ({ ...lotOrders[i], lotId }));
  await writer.backfillState(
    'production_lot',
    lotInfo.map((lot) => ({
      id: lot.lotId,
      values: {
        status: LOT_STATUS[lot.status],
        good_quantity: lot.status === 'COMPLETED' ? Math.round(lot.quantity * 0.97) : 0,
        start_time: lot.status === 'RELEASED' ? undefined : at(lot.start + 1),
        end_time: lot.status === 'COMPLETED' ? at(lot.start + 20) : undefined,
      },
    })),
  );

  // Serials round-robin over the lots of serialized products, five per lot per round, up to lot size.
  const serialLots = lotInfo.filter((lot) => finishedItems.includes(lot.item));
  const serialLotOf: LotInfo[] = [];
  for (
    let round = 0;
    serialLotOf.length < SERIAL_TARGET && serialLots.some((l) => round * 5 < l.quantity);
    round++
  ) {
    for (const lot of serialLots) {
      for (let k = 0; k < 5 && round * 5 + k < lot.quantity && serialLotOf.length < SERIAL_TARGET; k++)
        serialLotOf.push(lot);
    }
  }
  const serialRows = serialLotOf.map((lot) => ({
    lot: lot.lotId,
    item: lot.item,
    work_order: lot.workOrderId,
  }));
  const serials = await writer.insert('serial_number', serialRows);
  await writer.backfillState(
    'serial_number',
    serials.map((id, i) => {
      const lot = serialLotOf[i];
      const done = lot.status === 'COMPLETED';
      return {
        id,
        values: {
          status: done ? 'COMPLETED' : 'IN_PROGRESS',
          current_op_code: done ? 'OP40' : 'OP20',
          completed_at: done ? at(lot.start + 18) : undefined,
        },
      };
    }),
  );

  const lotNumbers = await codesOf(operations, ctx, 'production_lot', 'lotNo');
  const woNumbers = await codesOf(operations, ctx, 'work_order', 'woNo');
  const serialNumbers = await codesOf(operations, ctx, 'serial_number', 'sn');

  const inspectionRows: SeedRow[] = [];
  rawItems.slice(0, 40).forEach((item, i) => {
    inspectionRows.push({
      inspection_type: 'IQC',
      ref_type: 'GRN',
      ref_id: grnOf(i),
      item,
      supplier: suppliers[i % suppliers.length],
      supplier_lot: `SL${String(70000 + i * 7)}`,
      lot_size: random.int(10, 100) * 100,
      sample_size: random.pick([13, 20, 32, 50]),
      aql_level: 'II',
      defect_quantity: i % 9 === 0 ? random.int(1, 3) : 0,
      inspector: random.pick(users),
      inspection_date: at(-700 + i * 12),
      items: checkItems(random, 'IQC', i),
    });
  });
  lotInfo.forEach((lot, i) => {
    if (lot.status !== 'COMPLETED' && i % 3 !== 0) return;
    const type = lot.status === 'COMPLETED' ? 'OQC' : i % 2 === 0 ? 'FAI' : 'IPQC';
    inspectionRows.push({
      inspection_type: enumOf('inspection', 'inspection_type', type),
      ref_type: 'LOT',
      ref_id: lotNumbers.get(lot.lotId) ?? String(lot.lotId),
      item: lot.item,
      lot: lot.lotId,
      work_order: lot.workOrderId,
      workstation: stations[(lines.indexOf(lot.line) * 4 + 2) % stations.length],
      lot_size: lot.quantity,
      sample_size: Math.min(32, lot.quantity),
      defect_quantity: i % 11 === 0 ? 1 : 0,
      inspector: random.pick(users),
      inspection_date: at(lot.start + 8),
      items: checkItems(random, type, i),
    });
  });
  const inspections = await writer.insert('inspection', inspectionRows);
  await writer.backfillState(
    'inspection',
    inspections.map((id, i) => {
      const failed = Number(inspectionRows[i].defect_quantity) > 0;
      return {
        id,
        values: {
          status: failed ? 'FAILED' : 'COMPLETED',
          result: enumOf('inspection', 'result', failed ? 'FAIL' : 'PASS'),
          started_at: inspectionRows[i].inspection_date,
          completed_at: inspectionRows[i].inspection_date,
        },
      };
    }),
  );

  const stockLocations = {
    raw: locations.slice(0, plants.length),
    finished: locations.slice(plants.length, 2 * plants.length),
  };
  const stockRows: SeedRow[] = [];
  const receipts: SeedRow[] = [];
  [...rawItems, ...componentItems].forEach((item, i) => {
    const location = stockLocations.raw[i % stockLocations.raw.length];
    const lotNo = `ML${String(240000 + i * 13)}`;
    const quantity = random.int(5, 200) * 50;
    stockRows.push({
      item,
      lot_no: lotNo,
      location,
      supplier: suppliers[i % suppliers.length],
      uom: uoms[0],
      unit_cost: random.decimal(0.1, 100),
      status: enumOf('stock', 'status', 'AVAILABLE'),
    });
    receipts.push({
      transaction_type: enumOf('stock_transaction', 'transaction_type', 'RECEIPT'),
      item,
      lot_no: lotNo,
      to_location: location,
      quantity,
      reference_type: 'GRN',
      reference_id: grnOf(i % 40),
      operator: random.pick(users),
      occurred_at: at(-720 + i * 5),
    });
  });
  lotInfo
    .filter((lot) => lot.status === 'COMPLETED')
    .forEach((lot, i) => {
      const location = stockLocations.finished[i % stockLocations.finished.length];
      stockRows.push({
        item: lot.item,
        lot_no: lotNumbers.get(lot.lotId),
        production_lot: lot.lotId,
        location,
        uom: uoms[0],
        status: enumOf('stock', 'status', 'AVAILABLE'),
      });
      receipts.push({
        transaction_type: enumOf('stock_transaction', 'transaction_type', 'PRODUCTION_RECEIPT'),
        item: lot.item,
        lot_no: lotNumbers.get(lot.lotId),
        to_location: location,
        quantity: lot.quantity,
        reference_type: 'LOT',
        reference_id: lotNumbers.get(lot.lotId),
        occurred_at: at(lot.start + 24),
      });
    });
  const stock = await writer.insert('stock', stockRows);
  await writer.backfillState(
    'stock',
    stock.map((id, i) => ({
      id,
      values: {
        quantity: receipts[i].quantity,
        available_quantity: receipts[i].quantity,
        total_cost:
          Math.round(Number(receipts[i].quantity) * Number(stockRows[i].unit_cost ?? 0) * 100) / 100,
        received_at: receipts[i].occurred_at,
      },
    })),
  );
  await writer.insert('stock_transaction', receipts);

  const materialRows: SeedRow[] = [];
  const linkRows: SeedRow[] = [];
  const edges: GenealogyEdge[] = [];
  const receivedLots = new Set<string>();
  lotInfo.forEach((lot, i) => {
    const lotNo = lotNumbers.get(lot.lotId) ?? String(lot.lotId);
    const woNo = woNumbers.get(lot.workOrderId) ?? String(lot.workOrderId);
    edges.push({
      from: nodeKey('WO', woNo),
      to: nodeKey('LOT', lotNo),
      relation: 'PRODUCED',
      quantity: lot.quantity,
    });
    linkRows.push({
      parent_type: 'WO',
      parent_id: woNo,
      child_type: 'LOT',
      child_id: lotNo,
      relation_kind: 'PRODUCED_BY',
      level: 'FINISHED',
      item: lot.item,
      qty: lot.quantity,
      linked_at: at(lot.start),
    });
    for (let m = 0; m < 3; m++) {
      const materialIndex = (i * 3 + m) % rawItems.length;
      const material = rawItems[materialIndex];
      const materialLot = `ML${String(240000 + materialIndex * 13)}`;
      const qty = (random.int(1, 20) * lot.quantity) / 10;
      // A supplier lot arrives on one receipt; its graph edge is written once.
      const grnNo = grnOf(materialIndex % 40);
      if (!receivedLots.has(materialLot)) {
        receivedLots.add(materialLot);
        edges.push({ from: nodeKey('GRN', grnNo), to: nodeKey('SLOT', materialLot), relation: 'RECEIVED' });
      }
      edges.push({
        from: nodeKey('SLOT', materialLot),
        to: nodeKey('WO', woNo),
        relation: 'CONSUMED',
        quantity: qty,
      });
      materialRows.push({
        lot: lot.lotId,
        item: material,
        material_lot_no: materialLot,
        supplier: suppliers[(i + m) % suppliers.length],
        grn_no: grnNo,
        qty_used: qty,
        workstation: stations[(lines.indexOf(lot.line) * 4) % stations.length],
        consumed_at: at(lot.start + 1),
      });
      linkRows.push({
        parent_type: 'LOT',
        parent_id: lotNo,
        child_type: 'MATERIAL_LOT',
        child_id: materialLot,
        relation_kind: 'CONSUMED_INTO',
        level: 'RAW',
        item: material,
        qty,
        op_code: 'OP10',
        linked_at: at(lot.start + 1),
      });
    }
  });
  const mapRows: SeedRow[] = [];
  // Boxes and pallets are packed by the demo plant at work (demo-work.ts), through the packing hooks.
  serials.forEach((serial, i) => {
    const lot = serialLotOf[i];
    const sn = serialNumbers.get(serial) ?? String(serial);
    const lotNo = lotNumbers.get(lot.lotId) ?? String(lot.lotId);
    edges.push({ from: nodeKey('LOT', lotNo), to: nodeKey('SN', sn), relation: 'PRODUCED', quantity: 1 });
    mapRows.push({
      sn,
      serial_number: serial,
      lot: lot.lotId,
      work_order: lot.workOrderId,
      item: lot.item,
    });
    linkRows.push({
      parent_type: 'LOT',
      parent_id: lotNo,
      child_type: 'SN',
      child_id: sn,
      relation_kind: 'PRODUCED_BY',
      level: 'FINISHED',
      item: lot.item,
      qty: 1,
      op_code: 'OP40',
      linked_at: at(lot.start + 2 + (i % 20) / 10),
    });
  });
  await writer.insert('map_lot_material', materialRows);
  await writer.insert('map_sn', mapRows);
  await writer.insert('trace_link', linkRows);
  for (let start = 0; start < edges.length; start += GENEALOGY_CHUNK)
    await writeGenealogy(sql, ctx.tenantId, edges.slice(start, start + GENEALOGY_CHUNK));
  writer.counts.set('trace_genealogy', edges.length);

  // The plants work the plant calendar: the planned time of OEE.
  const [calendar] = writer.idsOf('calendar');
  if (calendar !== undefined)
    await writer.backfillState(
      'plant',
      plants.map((id) => ({ id, values: { calendar } })),
    );
  await seedShopFloorWeek(writer, random, {
    lines,
    stations,
    equipment: writer.idsOf('equipment'),
    shifts: writer.idsOf('shift'),
    defect: writer.idsOf('qms_code')[QMS_CODES.findIndex(([type]) => type === 'DEFECT')],
    operator: users[0],
    lots: lotInfo.filter((lot) => lot.status === 'IN_PROGRESS'),
  });

  return { counts: Object.fromEntries(writer.counts), elapsedMs: Date.now() - started };
}

/** Shop-floor days of the demo: Wednesday to Friday, 28–30 Oct 2026, two shifts a day. */
const FLOOR_DAYS = ['2026-10-28', '2026-10-29', '2026-10-30'];
/** The windows of the DAY and NIGHT shifts in local hours (Asia/Shanghai): 08–20 and 20–08. */
const FLOOR_SHIFTS = [
  { start: 8, end: 20 },
  { start: 20, end: 32 },
];

/**
 * Three days of the shop floor, written through the record-change path like live work: per line and
 * shift a breakdown or a stop of some minutes on the line's first machine (closed periods of its
 * state history) and work reports on the in-progress orders of the line — each order takes at most
 * 60 % of its quantity, so every posting stays within what its operation may report. OEE on the
 * plant overview is computed from these rows.
 */
async function seedShopFloorWeek(
  writer: SeedWriter,
  random: SeededRandom,
  plant: {
    lines: number[];
    stations: number[];
    equipment: number[];
    shifts: number[];
    defect: number | undefined;
    operator: number | undefined;
    lots: LotInfo[];
  },
): Promise<void> {
  if (!writer.has('equipment_state') || plant.shifts.length < 2 || plant.equipment.length === 0) return;
  const perLine = plant.stations.length / Math.max(plant.lines.length, 1);
  const equipment = plant.equipment;
  const defect = plant.defect;
  const utc = (day: string, hours: number, minutes = 0) =>
    new Date(Date.parse(`${day}T00:00:00+08:00`) + (hours * 60 + minutes) * 60_000).toISOString();

  const periods: SeedRow[] = [];
  plant.lines.forEach((line, l) => {
    const machine = equipment[l * perLine];
    let cursor = utc(FLOOR_DAYS[0], 0);
    for (const day of FLOOR_DAYS)
      for (const shift of FLOOR_SHIFTS) {
        const stopAt = utc(day, shift.start, random.int(60, 360));
        const minutes = random.int(10, 45);
        const stopEnd = new Date(Date.parse(stopAt) + minutes * 60_000).toISOString();
        const state = random.int(0, 2) === 0 ? 'BREAKDOWN' : 'STOPPED';
        periods.push(
          { equipment: machine, line, state: 'RUNNING', start_time: cursor, end_time: stopAt },
          {
            equipment: machine,
            line,
            state,
            previous_state: 'RUNNING',
            start_time: stopAt,
            end_time: stopEnd,
          },
        );
        cursor = stopEnd;
      }
    periods.push({
      equipment: machine,
      line,
      state: 'RUNNING',
      start_time: cursor,
      end_time: utc('2026-10-31', 12),
    });
  });
  await writer.insert(
    'equipment_state',
    periods.map((p) => ({
      ...p,
      duration_minutes: Math.round(
        (Date.parse(String(p.end_time)) - Date.parse(String(p.start_time))) / 60_000,
      ),
    })),
  );

  // One operation per in-progress order, then the shifts' reports against them.
  const operations = await writer.insert(
    'wo_operation',
    plant.lots.map((lot) => ({
      work_order: lot.workOrderId,
      op_seq: 1,
      op_code: 'OP10',
      op_name: 'Assembly',
      planned_quantity: lot.quantity,
      workstation: plant.stations[plant.lines.indexOf(lot.line) * perLine],
    })),
  );
  const reports: SeedRow[] = [];
  plant.lines.forEach((line, l) => {
    const open = plant.lots
      .map((lot, i) => ({ lot, operation: operations[i], left: Math.floor(lot.quantity * 0.6) }))
      .filter((o) => o.lot.line === line && o.operation !== undefined);
    const cells = FLOOR_DAYS.length * FLOOR_SHIFTS.length;
    const perCell = Math.floor(open.reduce((total, o) => total + o.left, 0) / cells);
    for (const day of FLOOR_DAYS)
      FLOOR_SHIFTS.forEach((shift, s) => {
        let due = perCell;
        let minute = 20;
        for (const order of open) {
          if (due <= 0) break;
          const quantity = Math.min(order.left, due);
          if (quantity <= 0) continue;
          order.left -= quantity;
          due -= quantity;
          const scrap = Math.min(quantity - 1, Math.round(quantity * random.decimal(0, 0.04)));
          const start = utc(day, shift.start, minute);
          minute = Math.min(minute + 60, 7 * 60);
          reports.push({
            work_order: order.lot.workOrderId,
            wo_operation: order.operation,
            lot: order.lot.lotId,
            operator: plant.operator,
            workstation: plant.stations[l * perLine],
            shift: plant.shifts[s],
            good_quantity: quantity - scrap,
            scrap_quantity: scrap,
            defect_code: scrap > 0 ? defect : undefined,
            start_time: start,
            end_time: new Date(Date.parse(start) + 50 * 60_000).toISOString(),
          });
        }
      });
  });
  await writer.insert('work_report', reports);
}

/** The QMS codes: defects (with severity), causes and actions. */
const QMS_CODES: readonly [type: string, code: string, description: string, severity?: string][] = [
  ['DEFECT', 'SOLDER-01', 'Cold solder joint', 'MAJOR'],
  ['DEFECT', 'SOLDER-02', 'Solder bridge', 'MAJOR'],
  ['DEFECT', 'SOLDER-03', 'Insufficient solder', 'MINOR'],
  ['DEFECT', 'ASSY-01', 'Missing part', 'CRITICAL'],
  ['DEFECT', 'ASSY-02', 'Wrong part', 'CRITICAL'],
  ['DEFECT', 'ASSY-03', 'Loose screw', 'MINOR'],
  ['DEFECT', 'TEST-01', 'Functional test failed', 'MAJOR'],
  ['DEFECT', 'TEST-02', 'Calibration out of range', 'MAJOR'],
  ['DEFECT', 'TEST-03', 'Burn-in failure', 'CRITICAL'],
  ['DEFECT', 'PACK-01', 'Packing damage', 'MINOR'],
  ['CAUSE', 'MAT-01', 'Supplier material out of specification'],
  ['CAUSE', 'MAT-02', 'Material damaged in storage'],
  ['CAUSE', 'EQP-01', 'Equipment out of calibration'],
  ['CAUSE', 'EQP-02', 'Equipment breakdown'],
  ['CAUSE', 'OPE-01', 'Operator did not follow the SOP'],
  ['CAUSE', 'OPE-02', 'Operator not trained'],
  ['CAUSE', 'ENV-01', 'Temperature or humidity out of range'],
  ['CAUSE', 'ENV-02', 'Electrostatic discharge'],
  ['CAUSE', 'MOLD-01', 'Mold worn'],
  ['CAUSE', 'MOLD-02', 'Mold set up wrong'],
  ...[
    'REPAIR',
    'REWORK',
    'SCRAP',
    'CONCESSION',
    'RETURN',
    'REPLACE',
    'ISOLATE',
    'INVESTIGATE',
    'PREVENT',
    'ACCEPT',
  ].map((code): [string, string, string] => ['ACTION', code, code.charAt(0) + code.slice(1).toLowerCase()]),
];

/** The operations of every demo routing, with their sampling plans. */
const ROUTING_STEPS: readonly [code: string, name: string, type: string][] = [
  ['SMT', 'Surface mount', 'PROCESS'],
  ['DIP', 'Through-hole insertion', 'PROCESS'],
  ['ASSY', 'Final assembly', 'PROCESS'],
  ['TEST1', 'Functional test', 'TEST'],
  ['TEST2', 'Burn-in test', 'TEST'],
  ['PACK', 'Packing', 'PACK'],
];

/**
 * Reference and process data the screens need beside the production history: QMS codes, shifts,
 * a plant calendar with its holidays, customers, one piece of equipment per station, and per finished product an active routing of six
 * operations and an active BOM. Deterministic: it draws nothing from the seed's random sequence.
 */
async function seedProcessAndReference(
  writer: SeedWriter,
  data: {
    rawItems: number[];
    componentItems: number[];
    finishedItems: number[];
    lines: number[];
    stations: number[];
    plants: number[];
  },
): Promise<void> {
  await writer.insert(
    'qms_code',
    QMS_CODES.map(([codeType, code, description, severity]) => ({
      code_type: codeType,
      code,
      description,
      category: code.split('-')[0],
      severity,
    })),
  );
  const shifts = await writer.insert('shift', [
    { shift_code: 'DAY', shift_name: 'Day shift', start_time: '08:00', end_time: '20:00', break_minutes: 60 },
    {
      shift_code: 'NIGHT',
      shift_name: 'Night shift',
      start_time: '20:00',
      end_time: '08:00',
      crosses_midnight: true,
      break_minutes: 60,
    },
  ]);
  await writer.insert('calendar', [
    {
      calendar_code: 'CN-2026',
      calendar_name: 'Plant calendar 2026',
      year: 2026,
      default_shifts: shifts,
      working_weekdays: [1, 2, 3, 4, 5, 6],
      days: [
        { work_date: '2026-10-01', day_type: 'HOLIDAY', note: 'National Day' },
        { work_date: '2026-10-02', day_type: 'HOLIDAY', note: 'National Day' },
        { work_date: '2026-10-03', day_type: 'HOLIDAY', note: 'National Day' },
        { work_date: '2026-10-10', day_type: 'MAKEUP_WORKDAY', note: 'Make-up working day' },
        { work_date: '2026-12-31', day_type: 'SHUTDOWN', note: 'Year-end stock count' },
      ],
    },
  ]);
  await writer.insert(
    'customer',
    [
      ['Shanghai Retail Banking Supplies', 'WHOLESALE'],
      ['Guangzhou Cash Systems', 'OEM'],
      ['Euro Counter GmbH', 'OEM'],
      ['Metro Supermarkets', 'RETAIL'],
      ['City Commercial Bank', 'END_USER'],
    ].map(([name, type], i) => ({
      customer_name: name,
      customer_type: type,
      contact_name: `Buyer ${i + 1}`,
      country: name.includes('GmbH') ? 'DE' : 'CN',
    })),
  );
  await writer.insert(
    'equipment',
    data.stations.map((station, i) => ({
      equipment_code: `EQ-${String(i + 1).padStart(3, '0')}`,
      equipment_name: `${['Placement machine', 'Wave soldering', 'Tester', 'Packing line'][i % 4]} ${i + 1}`,
      equipment_type: ['SMT', 'SOLDER', 'TEST', 'PACK'][i % 4],
      workstation: station,
      line: data.lines[Math.floor(i / 4) % data.lines.length],
      plant: data.plants[0],
    })),
  );
  const routings = await writer.insert(
    'routing',
    data.finishedItems.map((item, i) => ({
      routing_code: `RT-${String(i + 1).padStart(3, '0')}`,
      routing_name: `Routing of finished product ${i + 1}`,
      item,
      operations: ROUTING_STEPS.map(([code, name, type], step) => ({
        op_seq: step + 1,
        op_code: code,
        op_name: name,
        op_type: type,
        sop_code: `SOP-${code}`,
        sop_version: 'A',
        sample_plan: type === 'TEST' ? { type: 'FULL' } : { type: 'AQL', level: 'II', sample_size: 32 },
        estimated_minutes: [2, 3, 5, 4, 30, 1][step],
      })),
    })),
  );
  await writer.backfillState(
    'routing',
    routings.map((id) => ({ id, values: { status: 'ACTIVE' } })),
  );
  const boms = await writer.insert(
    'bom_header',
    data.finishedItems.map((item, i) => ({
      bom_code: `BOM-${String(i + 1).padStart(3, '0')}`,
      item,
      lines: [
        ...[0, 1, 2].map((m) => ({
          line_no: m + 1,
          component: data.rawItems[(i * 3 + m) % data.rawItems.length],
          quantity: m + 1,
        })),
        { line_no: 4, component: data.componentItems[i % data.componentItems.length], quantity: 1 },
      ],
    })),
  );
  await writer.backfillState(
    'bom_header',
    boms.map((id) => ({ id, values: { status: 'ACTIVE' } })),
  );
}

async function codesOf(
  operations: EntityOperations,
  ctx: RequestContext,
  entity: string,
  property: string,
): Promise<Map<number, string>> {
  const codes = new Map<number, string>();
  if (!ctx.model.entities.has(entity)) return codes;
  let cursor: string | null = '';
  while (cursor !== null) {
    const query = operations.parseListQuery(
      entity,
      { pageSize: '500', count: 'none', cursor, fields: `id,${property}` },
      ctx.model,
    );
    const page = await operations.list(entity, query, ctx);
    for (const row of page.items) codes.set(Number(row.id), String(row[property]));
    cursor = page.nextCursor;
  }
  return codes;
}

function checkItems(random: SeededRandom, type: string, index: number): SeedRow[] {
  const checks = type === 'IQC' ? IQC_CHECKS : type === 'OQC' ? OQC_CHECKS : PROCESS_CHECKS;
  return checks.map((check, line) => ({
    line_no: line + 1,
    item_key: check.key,
    item_name: check.name,
    characteristic: check.lower === undefined ? 'ATTRIBUTE' : 'VARIABLE',
    standard_value: check.standard,
    lower_limit: check.lower,
    upper_limit: check.upper,
    actual_value:
      check.lower === undefined ? 'OK' : String(random.decimal(check.lower, check.upper ?? check.lower, 3)),
    unit: check.unit,
    defect_count: index % 13 === line ? 1 : 0,
  }));
}

function enumValues(entity: CompiledEntity | undefined, field: string): string[] {
  return entity?.fieldsByName.get(field)?.enumValues ?? [];
}

/** The preferred enum value when the metadata still declares it, else the first declared one. */
function enumValue(entity: CompiledEntity | undefined, field: string, preferred: string): string | undefined {
  const values = enumValues(entity, field);
  return values.includes(preferred) ? preferred : values[0];
}

function pick<T>(values: readonly T[], index: number): T {
  return values[index % values.length];
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const RAW_MATERIALS = [
  'Copper sheet',
  'ABS resin',
  'Solder paste',
  'FR4 laminate',
  'Aluminium bar',
  'Silicone gasket',
  'Steel screw M3',
  'Thermal paste',
];
const COMPONENTS = [
  'Main PCB assembly',
  'Power module',
  'LCD panel',
  'Battery pack',
  'Motor unit',
  'Sensor board',
];
const PRODUCTS = [
  'Smart meter SM',
  'Industrial gateway IG',
  'EV charger EC',
  'Servo drive SD',
  'Inverter INV',
];
interface CheckSpec {
  key: string;
  name: string;
  standard: string;
  lower?: number;
  upper?: number;
  unit?: string;
}
const IQC_CHECKS: CheckSpec[] = [
  { key: 'APPEARANCE', name: 'Appearance', standard: 'No scratches' },
  { key: 'DIM_LENGTH', name: 'Length', standard: '25.00', lower: 24.95, upper: 25.05, unit: 'mm' },
  { key: 'COC', name: 'Certificate of conformity', standard: 'Present' },
];
const PROCESS_CHECKS: CheckSpec[] = [
  { key: 'SOLDER_JOINT', name: 'Solder joints', standard: 'IPC-A-610 class 2' },
  { key: 'TORQUE', name: 'Screw torque', standard: '0.6', lower: 0.5, upper: 0.7, unit: 'N·m' },
  { key: 'LABEL', name: 'Label position', standard: 'Per drawing' },
  { key: 'VOLTAGE', name: 'Output voltage', standard: '24.0', lower: 23.5, upper: 24.5, unit: 'V' },
];
const OQC_CHECKS: CheckSpec[] = [
  { key: 'FUNCTION', name: 'Functional test', standard: 'Pass' },
  { key: 'HIPOT', name: 'Hi-pot leakage', standard: '< 5 mA', lower: 0, upper: 5, unit: 'mA' },
  { key: 'PACKAGING', name: 'Packaging', standard: 'Per packing spec' },
];
