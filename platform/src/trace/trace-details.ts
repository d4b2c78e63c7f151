import type { Model } from '../../../metadata/src/model';
import type { EntityRecord, FilterNode } from '../crud/types';
import type { TraceReport } from './trace-service';

/**
 * The records behind a trace (docs/traceability.md): who, where, when and with what result at each step.
 * They are read through a `RecordReader` — the caller's secured list — so a trace shows only the
 * records and fields the caller may read; an entity the caller may not read leaves its part empty.
 */
export interface RecordReader {
  model: Model;
  /**
   * Live records of `entity` matching every condition, at most `limit`, with the given relations
   * (API names) expanded where the caller may read them; null when the caller may not read the entity.
   */
  list(
    entity: string,
    conditions: FilterNode[],
    options: { expand?: string[]; sort?: string; limit: number },
  ): Promise<EntityRecord[] | null>;
}

/** A related record as a trace shows it: its id, business key and display value. */
export interface RecordRef {
  id: number;
  key: string | null;
  label: string | null;
}

export interface ProcessStep {
  entityType: string;
  entityId: string;
  action: string;
  opCode: string | null;
  opName: string | null;
  operator: RecordRef | null;
  station: RecordRef | null;
  shift: string | null;
  occurredAt: string | null;
  opStartAt: string | null;
  opEndAt: string | null;
  result: string | null;
  refId: string | null;
  data: unknown;
}

export interface TestResult {
  sn: string | null;
  testNo: string | null;
  opCode: string | null;
  testType: string | null;
  attempt: number | null;
  result: string | null;
  defectCode: RecordRef | null;
  testData: unknown;
  operator: RecordRef | null;
  station: RecordRef | null;
  shift: RecordRef | null;
  testedAt: string | null;
}

export interface MaterialUse {
  lotNo: string | null;
  item: RecordRef | null;
  materialLotNo: string | null;
  supplier: RecordRef | null;
  grnNo: string | null;
  mold: RecordRef | null;
  iqc: { inspNo: string | null; result: string | null; completedAt: string | null } | null;
  qtyUsed: number | null;
  consumedAt: string | null;
}

export interface InspectionDetail {
  inspNo: string | null;
  inspectionType: string | null;
  refType: string | null;
  refId: string | null;
  supplierLot: string | null;
  result: string | null;
  status: string | null;
  defectQuantity: number | null;
  inspector: RecordRef | null;
  inspectionDate: string | null;
  completedAt: string | null;
}

export interface SerialDetail {
  sn: string;
  status: string | null;
  item: RecordRef | null;
  lot: RecordRef | null;
  workOrder: RecordRef | null;
  repairCount: number | null;
  completedAt: string | null;
  boxNo: string | null;
  palletNo: string | null;
  shipmentNo: string | null;
}

export interface ShipmentDetail {
  shipmentNo: string;
  status: string | null;
  customer: RecordRef | null;
  shipmentDate: string | null;
  shippedAt: string | null;
  shippedBy: RecordRef | null;
  carrier: string | null;
  trackingNo: string | null;
}

export interface ShippingDetail {
  boxes: {
    boxNo: string;
    status: string | null;
    oqcResult: string | null;
    quantity: number | null;
    palletNo: string | null;
    shipmentNo: string | null;
  }[];
  pallets: { palletNo: string; status: string | null; boxCount: number | null; shipmentNo: string | null }[];
  shipments: ShipmentDetail[];
}

export interface TraceDetails {
  serials: SerialDetail[];
  processes: ProcessStep[];
  testResults: TestResult[];
  materials: MaterialUse[];
  quality: {
    iqc: InspectionDetail[];
    ipqc: InspectionDetail[];
    fai: InspectionDetail[];
    oqc: InspectionDetail[];
    other: InspectionDetail[];
  };
  shipping: ShippingDetail;
  /** More serials (or steps) were reached than the details list; the graph has them all. */
  truncated: boolean;
}

/** Node kinds whose trace events are steps of a trace. */
const STEP_KINDS = ['SN', 'LOT', 'BOX', 'PLT', 'SHP', 'WO'];

/** Records per part of the details at most: the graph lists everything reached. */
export const DETAIL_LIMIT = 200;
/** At most this many steps, tests, material uses and inspections (the list page size). */
const STEP_LIMIT = 500;

/** Keys of the report's nodes of one kind, the start node included. */
function keysOf(report: TraceReport, kind: string): string[] {
  return report.graph.nodes.filter((node) => node.kind === kind).map((node) => node.key);
}

const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const num = (value: unknown): number | null =>
  value === null || value === undefined || value === '' ? null : Number(value);

function apiName(model: Model, entity: string, field: string | undefined): string | null {
  if (!field) return null;
  return model.entities.get(entity)?.fieldsByName.get(field)?.apiName ?? null;
}

/** The related record `name` of `record` (expanded) as id, business key and display value. */
function refOf(model: Model, entity: string, record: EntityRecord, name: string): RecordRef | null {
  const relation = model.entities.get(entity)?.fieldsByName.get(name);
  const id = record[relation?.apiName ? `${relation.apiName}Id` : `${name}Id`] ?? null;
  if (relation === undefined || id === null || id === undefined) return null;
  const expanded = record[relation.apiName] as EntityRecord | null | undefined;
  const target = relation.relation ? model.entities.get(relation.relation.target) : undefined;
  if (!target || !expanded || typeof expanded !== 'object') return { id: Number(id), key: null, label: null };
  const keyField =
    target.businessKey ?? [...target.fieldsByName.keys()].find((field) => field.endsWith('_code'));
  const key = apiName(model, target.name, keyField);
  const label = apiName(model, target.name, target.display);
  return {
    id: Number(id),
    key: key ? str(expanded[key]) : null,
    label: label ? str(expanded[label]) : null,
  };
}

const inList = (field: string, values: readonly unknown[]): FilterNode => ({
  field,
  op: 'in',
  value: [...new Set(values)],
});

/** The details of a trace report's nodes. */
export async function traceDetails(reader: RecordReader, report: TraceReport): Promise<TraceDetails> {
  const model = reader.model;
  const ref = (entity: string, record: EntityRecord, name: string) => refOf(model, entity, record, name);
  const snKeys = keysOf(report, 'SN');
  const serialKeys = snKeys.slice(0, DETAIL_LIMIT);
  let truncated = snKeys.length > serialKeys.length;

  const lotKeys = keysOf(report, 'LOT');
  const stepKeys = [
    ...serialKeys,
    ...lotKeys,
    ...keysOf(report, 'BOX'),
    ...keysOf(report, 'PLT'),
    ...keysOf(report, 'SHP'),
    ...keysOf(report, 'WO'),
  ];
  const listOf = async (
    keys: readonly unknown[],
    entity: string,
    conditions: FilterNode[],
    options: { expand?: string[]; sort?: string; limit: number },
  ): Promise<EntityRecord[]> =>
    keys.length === 0 ? [] : ((await reader.list(entity, conditions, options)) ?? []);
  // Independent reads run together: serials, lots and steps; then what hangs on serials and lots.
  const [serials, lots, events] = await Promise.all([
    listOf(serialKeys, 'serial_number', [inList('sn', serialKeys)], {
      expand: ['item', 'lot', 'workOrder'],
      sort: 'sn',
      limit: DETAIL_LIMIT,
    }),
    listOf(lotKeys, 'production_lot', [inList('lotNo', lotKeys.slice(0, DETAIL_LIMIT))], {
      limit: DETAIL_LIMIT,
    }),
    // Entity type first: the index on trace events leads with it.
    listOf(stepKeys, 'trace_event', [inList('entityType', STEP_KINDS), inList('entityId', stepKeys)], {
      expand: ['operator', 'workstation'],
      sort: 'occurredAt',
      limit: STEP_LIMIT,
    }),
  ]);
  truncated ||= events.length >= STEP_LIMIT || lotKeys.length > DETAIL_LIMIT;
  const serialIds = serials.map((serial) => Number(serial.id));
  const snById = new Map(serials.map((serial) => [Number(serial.id), String(serial.sn)]));
  const lotIds = lots.map((lot) => Number(lot.id));
  const lotNoById = new Map(lots.map((lot) => [Number(lot.id), str(lot.lotNo)]));
  const [shipping, tests, materials] = await Promise.all([
    shippingOf(reader, report, serials),
    listOf(serialIds, 'test_record', [inList('serialNumber', serialIds)], {
      expand: ['workstation', 'operator', 'shift', 'defectCode'],
      sort: 'testedAt',
      limit: STEP_LIMIT,
    }),
    listOf(lotIds, 'map_lot_material', [inList('lot', lotIds)], {
      expand: ['item', 'supplier', 'mold'],
      sort: 'consumedAt',
      limit: STEP_LIMIT,
    }),
  ]);
  const boxNoById = new Map(shipping.boxRecords.map((box) => [Number(box.id), str(box.boxNo)]));
  const palletById = new Map(shipping.palletRecords.map((pallet) => [Number(pallet.id), pallet]));
  const shipmentNoById = new Map(shipping.shipmentRecords.map((s) => [Number(s.id), str(s.shipmentNo)]));
  const boxById = new Map(shipping.boxRecords.map((box) => [Number(box.id), box]));
  const shipmentOfBox = (box: EntityRecord | undefined): string | null => {
    if (!box) return null;
    const direct = num(box.shipmentId);
    if (direct !== null) return shipmentNoById.get(direct) ?? null;
    const pallet = palletById.get(num(box.palletId) ?? -1);
    return pallet ? (shipmentNoById.get(num(pallet.shipmentId) ?? -1) ?? null) : null;
  };

  const inspections = await inspectionsOf(reader, report, {
    serialKeys,
    lotKeys,
    grnNos: materials.map((use) => use.grnNo).filter((grn): grn is string => typeof grn === 'string'),
    boxNos: shipping.boxRecords.map((box) => String(box.boxNo)),
    palletNos: shipping.palletRecords.map((pallet) => String(pallet.palletNo)),
  });
  const inspectionDetails = inspections.map((inspection): InspectionDetail => ({
    inspNo: str(inspection.inspNo),
    inspectionType: str(inspection.inspectionType),
    refType: str(inspection.refType),
    refId: str(inspection.refId),
    supplierLot: str(inspection.supplierLot),
    result: str(inspection.result),
    status: str(inspection.status),
    defectQuantity: num(inspection.defectQuantity),
    inspector: ref('inspection', inspection, 'inspector'),
    inspectionDate: str(inspection.inspectionDate),
    completedAt: str(inspection.completedAt),
  }));
  const inspectionById = new Map(inspections.map((raw, i) => [Number(raw.id), inspectionDetails[i]!]));
  const iqcOf = (use: EntityRecord) => {
    const found =
      (use.iqcInspectionId == null ? undefined : inspectionById.get(Number(use.iqcInspectionId))) ??
      inspectionDetails.find(
        (i) =>
          i.inspectionType === 'IQC' &&
          ((i.refType === 'GRN' && i.refId === use.grnNo) || i.supplierLot === use.materialLotNo),
      );
    return found ? { inspNo: found.inspNo, result: found.result, completedAt: found.completedAt } : null;
  };
  const byType = (type: string) => inspectionDetails.filter((i) => i.inspectionType === type);

  return {
    serials: serials.map((serial) => {
      const box = boxById.get(num(serial.boxId) ?? -1);
      const palletId = num(box?.palletId) ?? num(serial.palletId);
      return {
        sn: String(serial.sn),
        status: str(serial.status),
        item: ref('serial_number', serial, 'item'),
        lot: ref('serial_number', serial, 'lot'),
        workOrder: ref('serial_number', serial, 'work_order'),
        repairCount: num(serial.repairCount),
        completedAt: str(serial.completedAt),
        boxNo: boxNoById.get(num(serial.boxId) ?? -1) ?? null,
        palletNo: palletId === null ? null : (str(palletById.get(palletId)?.palletNo) ?? null),
        shipmentNo: shipmentOfBox(box),
      };
    }),
    processes: events.map((event) => ({
      entityType: String(event.entityType),
      entityId: String(event.entityId),
      action: String(event.action),
      opCode: str(event.opCode),
      opName: str(event.opName),
      operator: ref('trace_event', event, 'operator'),
      station: ref('trace_event', event, 'workstation'),
      shift: str(event.shiftCode),
      occurredAt: str(event.occurredAt),
      opStartAt: str(event.opStartAt),
      opEndAt: str(event.opEndAt),
      result: str(event.result),
      refId: str(event.refId),
      data: event.data ?? null,
    })),
    testResults: tests.map((test) => ({
      sn: snById.get(Number(test.serialNumberId)) ?? null,
      testNo: str(test.testNo),
      opCode: str(test.opCode),
      testType: str(test.testType),
      attempt: num(test.attempt),
      result: str(test.result),
      defectCode: ref('test_record', test, 'defect_code'),
      testData: test.testData ?? null,
      operator: ref('test_record', test, 'operator'),
      station: ref('test_record', test, 'workstation'),
      shift: ref('test_record', test, 'shift'),
      testedAt: str(test.testedAt),
    })),
    materials: materials.map((use) => ({
      lotNo: lotNoById.get(Number(use.lotId)) ?? null,
      item: ref('map_lot_material', use, 'item'),
      materialLotNo: str(use.materialLotNo),
      supplier: ref('map_lot_material', use, 'supplier'),
      grnNo: str(use.grnNo),
      mold: ref('map_lot_material', use, 'mold'),
      iqc: iqcOf(use),
      qtyUsed: num(use.qtyUsed),
      consumedAt: str(use.consumedAt),
    })),
    quality: {
      iqc: byType('IQC'),
      ipqc: byType('IPQC'),
      fai: byType('FAI'),
      oqc: byType('OQC'),
      other: inspectionDetails.filter(
        (i) => !['IQC', 'IPQC', 'FAI', 'OQC'].includes(String(i.inspectionType)),
      ),
    },
    shipping: {
      boxes: shipping.boxRecords.map((box) => ({
        boxNo: String(box.boxNo),
        status: str(box.status),
        oqcResult: str(box.oqcResult),
        quantity: num(box.quantity),
        palletNo: str(palletById.get(num(box.palletId) ?? -1)?.palletNo),
        shipmentNo: shipmentOfBox(box),
      })),
      pallets: shipping.palletRecords.map((pallet) => ({
        palletNo: String(pallet.palletNo),
        status: str(pallet.status),
        boxCount: num(pallet.boxCount),
        shipmentNo: shipmentNoById.get(num(pallet.shipmentId) ?? -1) ?? null,
      })),
      shipments: shipping.shipmentRecords.map((shipment) => shipmentDetail(model, shipment)),
    },
    truncated,
  };
}

export function shipmentDetail(model: Model, shipment: EntityRecord): ShipmentDetail {
  return {
    shipmentNo: String(shipment.shipmentNo),
    status: str(shipment.status),
    customer: refOf(model, 'shipment', shipment, 'customer'),
    shipmentDate: str(shipment.shipmentDate),
    shippedAt: str(shipment.shippedAt),
    shippedBy: refOf(model, 'shipment', shipment, 'shipped_by'),
    carrier: str(shipment.carrier),
    trackingNo: str(shipment.trackingNo),
  };
}

export interface ShippingRecords {
  boxRecords: EntityRecord[];
  palletRecords: EntityRecord[];
  shipmentRecords: EntityRecord[];
}

/**
 * The boxes, pallets and shipments of a trace — its BOX, PLT and SHP nodes and where its serials
 * were packed (serial → box → pallet → shipment, so a reverse trace from a serial or box shows where
 * it went, and a shipment not yet shipped is found too).
 */
export async function shippingOf(
  reader: RecordReader,
  report: TraceReport,
  serials: readonly EntityRecord[],
): Promise<ShippingRecords> {
  const boxIds = serials.map((serial) => num(serial.boxId)).filter((id): id is number => id !== null);
  const boxNos = keysOf(report, 'BOX');
  const boxRecords = await anyOf(reader, 'box', [
    ...(boxNos.length > 0 ? [inList('boxNo', boxNos)] : []),
    ...(boxIds.length > 0 ? [inList('id', boxIds)] : []),
  ]);
  const palletIds = boxRecords.map((box) => num(box.palletId)).filter((id): id is number => id !== null);
  const palletNos = keysOf(report, 'PLT');
  const palletRecords = await anyOf(reader, 'pallet', [
    ...(palletNos.length > 0 ? [inList('palletNo', palletNos)] : []),
    ...(palletIds.length > 0 ? [inList('id', palletIds)] : []),
  ]);
  const shipmentIds = [...boxRecords, ...palletRecords]
    .map((record) => num(record.shipmentId))
    .filter((id): id is number => id !== null);
  const shipmentNos = keysOf(report, 'SHP');
  const shipmentRecords = await anyOf(
    reader,
    'shipment',
    [
      ...(shipmentNos.length > 0 ? [inList('shipmentNo', shipmentNos)] : []),
      ...(shipmentIds.length > 0 ? [inList('id', shipmentIds)] : []),
    ],
    ['customer', 'shippedBy'],
  );
  return { boxRecords, palletRecords, shipmentRecords };
}

async function anyOf(
  reader: RecordReader,
  entity: string,
  alternatives: FilterNode[],
  expand: string[] = [],
): Promise<EntityRecord[]> {
  if (alternatives.length === 0) return [];
  const condition: FilterNode =
    alternatives.length === 1 ? alternatives[0]! : { kind: 'or', conditions: alternatives };
  return (await reader.list(entity, [condition], { expand, sort: 'id', limit: STEP_LIMIT })) ?? [];
}

/**
 * The inspections of what a trace reached: the INSP nodes, IQC of its receipts and supplier lots,
 * and inspections referring to its lots, serials, boxes and pallets (FAI, IPQC, OQC).
 */
async function inspectionsOf(
  reader: RecordReader,
  report: TraceReport,
  keys: {
    serialKeys: string[];
    lotKeys: string[];
    grnNos: string[];
    boxNos: string[];
    palletNos: string[];
  },
): Promise<EntityRecord[]> {
  const byRef = (refType: string, refIds: string[]): FilterNode[] =>
    refIds.length === 0
      ? []
      : [
          {
            kind: 'and',
            conditions: [{ field: 'refType', op: 'eq', value: refType }, inList('refId', refIds)],
          },
        ];
  // Every branch reads an index: inspections of supplier lots are reached as INSP nodes (an IQC
  // writes INSP → SLOT) or by their receipt.
  const inspNos = keysOf(report, 'INSP');
  const alternatives: FilterNode[] = [
    ...(inspNos.length > 0 ? [inList('inspNo', inspNos)] : []),
    ...byRef('GRN', [...keysOf(report, 'GRN'), ...keys.grnNos]),
    ...byRef('LOT', keys.lotKeys),
    ...byRef('SN', keys.serialKeys),
    ...byRef('BOX', keys.boxNos),
    ...byRef('PLT', keys.palletNos),
  ];
  if (alternatives.length === 0) return [];
  return (
    (await reader.list('inspection', [{ kind: 'or', conditions: alternatives }], {
      expand: ['inspector'],
      sort: 'inspectionDate',
      limit: STEP_LIMIT,
    })) ?? []
  );
}
