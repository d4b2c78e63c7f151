import type { SqlExecutor } from '../data/database';
import {
  shipmentDetail,
  shippingOf,
  type RecordReader,
  type RecordRef,
  type ShipmentDetail,
} from './trace-details';
import { traceReport, type TraceReport } from './trace-service';

/** One shipment that received affected product. */
export interface ImpactedShipment extends ShipmentDetail {
  boxes: string[];
  pallets: string[];
  /** Affected serial numbers on it (counted from the genealogy; a box's quantity when the trace starts at a box or pallet). */
  serials: number;
}

/** The complaint flow: which shipments and customers received what a serial, lot or material lot went into. */
export interface ImpactReport {
  start: string;
  affected: {
    serials: number;
    lots: number;
    boxes: number;
    pallets: number;
    shipments: number;
    customers: number;
  };
  lots: string[];
  customers: { customer: RecordRef | null; shipments: string[]; serials: number }[];
  shipments: ImpactedShipment[];
  /** Affected boxes on no shipment yet (still in the plant), and affected serials in no box. */
  unshipped: { boxes: string[]; unpackedSerials: number };
  depthLimit: number;
  truncated: boolean;
}

/**
 * The customer impact of a start node (`sn`, `lotId`, `grnNo`, `boxNo`, `palletNo`): the forward
 * trace, narrowed by `visible` to the nodes the caller may see (every count and list below is taken
 * from what it leaves), then the boxes, pallets and shipments it reached read as records (a shipment
 * not yet shipped included), grouped by customer.
 */
export async function impactReport(
  sql: SqlExecutor,
  reader: RecordReader,
  request: { tenant: string; query: Readonly<Record<string, unknown>> },
  visible: (trace: TraceReport) => Promise<TraceReport>,
): Promise<ImpactReport> {
  const report = await visible(
    await traceReport(sql, { tenant: request.tenant, direction: 'forward', query: request.query }),
  );
  const startKind = report.start.slice(0, report.start.indexOf(':'));
  const serialNodes = report.graph.nodes.filter((node) => node.kind === 'SN');
  const serialsByBox = new Map<string, Set<string>>();
  for (const edge of report.graph.edges) {
    if (!edge.from.startsWith('SN:') || !edge.to.startsWith('BOX:')) continue;
    const box = edge.to.slice(4);
    serialsByBox.set(box, (serialsByBox.get(box) ?? new Set()).add(edge.from));
  }
  const { boxRecords, palletRecords, shipmentRecords } = await shippingOf(reader, report, []);
  const palletById = new Map(palletRecords.map((pallet) => [Number(pallet.id), pallet]));
  const serialsIn = (boxNo: string, quantity: unknown) =>
    serialsByBox.get(boxNo)?.size ?? (startKind === 'BOX' || startKind === 'PLT' ? Number(quantity ?? 0) : 0);

  const shipments = shipmentRecords.map((record): ImpactedShipment => {
    const id = Number(record.id);
    const pallets = palletRecords.filter((pallet) => Number(pallet.shipmentId) === id);
    const boxes = boxRecords.filter(
      (box) =>
        Number(box.shipmentId) === id ||
        (box.palletId != null && Number(palletById.get(Number(box.palletId))?.shipmentId) === id),
    );
    return {
      ...shipmentDetail(reader.model, record),
      boxes: boxes.map((box) => String(box.boxNo)),
      pallets: pallets.map((pallet) => String(pallet.palletNo)),
      serials: boxes.reduce((sum, box) => sum + serialsIn(String(box.boxNo), box.quantity), 0),
    };
  });
  const shippedBoxes = new Set(shipments.flatMap((shipment) => shipment.boxes));
  const customers = new Map<string, ImpactReport['customers'][number]>();
  for (const shipment of shipments) {
    const key = shipment.customer ? String(shipment.customer.id) : '';
    const entry = customers.get(key) ?? { customer: shipment.customer, shipments: [], serials: 0 };
    entry.shipments.push(shipment.shipmentNo);
    entry.serials += shipment.serials;
    customers.set(key, entry);
  }
  const packed = new Set([...serialsByBox.values()].flatMap((serials) => [...serials]));
  const lots = report.graph.nodes.filter((node) => node.kind === 'LOT').map((node) => node.key);
  return {
    start: report.start,
    affected: {
      serials: serialNodes.length,
      lots: lots.length,
      boxes: boxRecords.length,
      pallets: palletRecords.length,
      shipments: shipments.length,
      customers: customers.size,
    },
    lots,
    customers: [...customers.values()],
    shipments,
    unshipped: {
      boxes: boxRecords.map((box) => String(box.boxNo)).filter((boxNo) => !shippedBoxes.has(boxNo)),
      unpackedSerials: serialNodes.filter((node) => !packed.has(node.id)).length,
    },
    depthLimit: report.depthLimit,
    truncated: report.truncated,
  };
}
