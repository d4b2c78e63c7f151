import type { HookRegistry } from '../../crud/hooks';
import type { EntityRecord } from '../../crud/types';
import type { TransitionHook } from '../../workflow/workflow.service';
import { stockStatuses } from '../inventory/stock-status';
import { businessKeyOf } from '../traceability/genealogy-links';
import { activeHoldsOn, lotsReceivedOnGrn, serialsOnShipment } from './quality-hold-store';
import {
  createRecord,
  emit,
  findIds,
  readRecord,
  ruleViolation,
  updateRecord,
  type QualityWrite,
} from './quality-records';

export type HoldType = 'SUPPLIER_LOT' | 'PRODUCTION_LOT' | 'SERIAL';

/** What an NCR holds: a lot (supplier or production) or one serial of a production lot. */
export interface HoldTarget {
  holdType: HoldType;
  lotNo: string;
  serialNumberId: number | null;
  /** The serial number of a SERIAL target. */
  sn: string | null;
  itemId: number | null;
}

/** An active hold as the guards report it. */
export interface ActiveHold {
  id: number;
  holdType: HoldType;
  lotNo: string;
  serialNumberId: number | null;
  ncrNo: string;
}

/** Stock movements that take material out of stock towards production or a customer. */
const RELEASING_MOVEMENTS = new Set(['ISSUE', 'CONSUME', 'OUT']);

/**
 * What a failed inspection puts on hold, from its reference: the supplier lot of an IQC on a GRN (or,
 * when it names none, every lot the GRN received), the
 * production lot (LOT), the lots of a work order (WO), the serial (SN) or the serials in a box (BOX).
 */
export async function holdTargetsOf(write: QualityWrite, inspection: EntityRecord): Promise<HoldTarget[]> {
  const itemId = typeof inspection.itemId === 'number' ? inspection.itemId : null;
  const refId = String(inspection.refId);
  switch (inspection.refType) {
    case 'GRN': {
      const named = typeof inspection.supplierLot === 'string' ? inspection.supplierLot.trim() : '';
      const lotNos = named ? [named] : await lotsReceivedOnGrn(write, refId, itemId);
      return lotNos.map((lotNo) => ({
        holdType: 'SUPPLIER_LOT',
        lotNo,
        serialNumberId: null,
        sn: null,
        itemId,
      }));
    }
    case 'LOT':
      return [{ holdType: 'PRODUCTION_LOT', lotNo: refId, serialNumberId: null, sn: null, itemId }];
    case 'WO': {
      const lots = await findIds(write, 'production_lot', { work_order: inspection.workOrderId });
      const targets: HoldTarget[] = [];
      for (const id of lots) {
        const lot = await readRecord(write, 'production_lot', id);
        targets.push({
          holdType: 'PRODUCTION_LOT',
          lotNo: String(lot!.lotNo),
          serialNumberId: null,
          sn: null,
          itemId,
        });
      }
      return targets;
    }
    case 'SN':
      return serialTargets(write, { sn: refId });
    case 'BOX': {
      const [boxId] = await findIds(write, 'box', { box_no: refId });
      if (boxId !== undefined) return serialTargets(write, { box: boxId });
      break;
    }
    case 'PLT': {
      const [palletId] = await findIds(write, 'pallet', { pallet_no: refId });
      if (palletId === undefined) break;
      const targets: HoldTarget[] = [];
      for (const boxId of await findIds(write, 'box', { pallet: palletId }))
        targets.push(...(await serialTargets(write, { box: boxId })));
      return targets;
    }
  }
  return [];
}

async function serialTargets(write: QualityWrite, equals: Record<string, unknown>): Promise<HoldTarget[]> {
  const targets: HoldTarget[] = [];
  for (const id of await findIds(write, 'serial_number', equals)) {
    const serial = (await readRecord(write, 'serial_number', id))!;
    const lotNo = await businessKeyOf(write.tx, write.ctx, 'production_lot', serial.lotId);
    targets.push({
      holdType: 'SERIAL',
      lotNo: lotNo ?? '',
      serialNumberId: id,
      sn: String(serial.sn),
      itemId: typeof serial.itemId === 'number' ? serial.itemId : null,
    });
  }
  return targets;
}

/**
 * Puts the targets on hold for the NCR: one `quality_hold` row each (event `quality_hold.created`),
 * and the stock of a held lot to the held status stock waits in for quality (QUARANTINE).
 */
export async function placeHolds(
  write: QualityWrite,
  ncr: EntityRecord,
  targets: readonly HoldTarget[],
): Promise<void> {
  for (const target of targets) {
    await createRecord(write, 'quality_hold', {
      ncrId: ncr.id,
      holdType: target.holdType,
      lotNo: target.lotNo,
      serialNumberId: target.serialNumberId,
      itemId: target.itemId,
    });
    if (target.holdType !== 'SERIAL')
      await setLotStockStatus(write, target.lotNo, stockStatuses(write.ctx.model).waiting);
  }
}

/** Sets the status of every stock row of a lot (the lot's balances at every location). */
export async function setLotStockStatus(
  write: QualityWrite,
  lotNo: string,
  status: string,
): Promise<EntityRecord[]> {
  const rows: EntityRecord[] = [];
  for (const id of await findIds(write, 'stock', { lot_no: lotNo })) {
    const stock = (await readRecord(write, 'stock', id))!;
    rows.push(stock.status === status ? stock : await updateRecord(write, 'stock', id, { status }));
  }
  return rows;
}

/** The active holds on lots (by lot number) or on serials (by id). */
export async function activeHolds(
  write: QualityWrite,
  on: { lotNos?: readonly string[]; serialIds?: readonly number[] },
): Promise<ActiveHold[]> {
  const lotNos = on.lotNos ?? [];
  const serialIds = on.serialIds ?? [];
  if (lotNos.length === 0 && serialIds.length === 0) return [];
  const rows = await activeHoldsOn(write, lotNos, serialIds);
  return rows.map((row) => ({
    id: Number(row.id),
    holdType: row.hold_type as HoldType,
    lotNo: row.lot_no,
    serialNumberId: row.serial_id === null ? null : Number(row.serial_id),
    ncrNo: row.ncr_no,
  }));
}

/**
 * A held lot cannot leave stock towards production or a customer: an ISSUE, CONSUME or OUT movement
 * of it is refused (422 BUSINESS_RULE, rule `quality-hold`) and rolls back with the balances it moved.
 */
export function registerQualityHoldGuards(hooks: HookRegistry): () => void {
  return hooks.on(
    'inTransaction',
    { entity: 'stock_transaction', action: 'create' },
    async ({ tx, ctx, record, records }) => {
      if (!RELEASING_MOVEMENTS.has(String(record.transactionType))) return;
      const lotNo = typeof record.lotNo === 'string' ? record.lotNo : '';
      if (!lotNo || !ctx.model.entities.has('quality_hold')) return;
      const [hold] = await activeHolds(
        { tx, ctx, actorId: ctx.userId ?? 'system', records },
        { lotNos: [lotNo] },
      );
      if (!hold) return;
      throw ruleViolation(
        'quality-hold',
        `Lot ${lotNo} is on quality hold by ${hold.ncrNo}: a held lot cannot be issued or shipped until the NCR's disposition releases it`,
        { field: 'lotNo' },
        { lotNo, ncrNo: hold.ncrNo },
      );
    },
    // In the guard stage: a held lot is refused for its hold, not for whatever its movement would do.
    { stage: 'guard' },
  );
}

/** A shipment cannot ship a serial that is held, or whose production lot is held. */
export const shipmentShipsNoHeldSerial: TransitionHook = {
  entity: 'shipment',
  action: 'ship',
  run: async ({ tx, ctx, after, actorId, records }) => {
    const write = { tx, ctx, actorId, records };
    const serials = await serialsOnShipment(write, after.id);
    const holds = await activeHolds(write, {
      lotNos: [...new Set(serials.map((serial) => serial.lot_no))],
      serialIds: serials.map((serial) => Number(serial.id)),
    });
    if (holds.length === 0) return;
    const held = holds.map(
      (hold) => `${hold.serialNumberId !== null ? 'a serial of' : 'lot'} ${hold.lotNo} (${hold.ncrNo})`,
    );
    throw ruleViolation(
      'quality-hold',
      `The shipment contains held material: ${held.join(', ')}`,
      {},
      {
        holds: holds.map((hold) => ({
          lotNo: hold.lotNo,
          ncrNo: hold.ncrNo,
          serialNumberId: hold.serialNumberId,
        })),
      },
    );
  },
};

/** Ends a hold with the NCR's disposition; event `quality_hold.<released|scrapped|returned>`. */
export async function endHold(
  write: QualityWrite,
  holdId: number,
  status: 'RELEASED' | 'SCRAPPED' | 'RETURNED',
  disposition: string,
  ncrNo: string,
): Promise<EntityRecord> {
  const hold = await updateRecord(
    write,
    'quality_hold',
    holdId,
    { status, disposition, endedAt: new Date().toISOString(), endedBy: numericUser(write.actorId) },
    false,
  );
  await emit(write, `quality_hold.${status.toLowerCase()}`, 'quality_hold', holdId, {
    hold_id: holdId,
    ncr_no: ncrNo,
    hold_type: hold.holdType,
    lot_no: hold.lotNo,
    serial_number_id: hold.serialNumberId,
    disposition,
  });
  return hold;
}

function numericUser(actorId: string): number | null {
  return /^[0-9]+$/.test(actorId) ? Number(actorId) : null;
}
