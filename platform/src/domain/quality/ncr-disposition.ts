import type { EntityRecord } from '../../crud/types';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';
import { stockStatuses } from '../inventory/stock-status';
import { endHold, setLotStockStatus, type HoldType } from './quality-hold';
import { holdsOfNcr } from './quality-hold-store';
import { createRecord, readRecord, ruleViolation, updateRecord, type QualityWrite } from './quality-records';
import { passedInspectionAfter, type ReinspectedTarget } from './reinspection-store';

type Disposition = 'USE_AS_IS' | 'REWORK' | 'SCRAP' | 'RETURN_TO_SUPPLIER';

interface HeldRow {
  id: number;
  holdType: HoldType;
  lotNo: string;
  serialNumberId: number | null;
}

/** Only material bought from a supplier can go back to one. */
export const ncrResolveChecksDisposition: TransitionHook = {
  entity: 'ncr',
  action: 'resolve',
  run: async (args) => {
    const write = writeOf(args);
    if (args.after.disposition !== 'RETURN_TO_SUPPLIER') return;
    const holds = await holdsOf(write, Number(args.after.id), 'ACTIVE');
    const own = holds.filter((hold) => hold.holdType !== 'SUPPLIER_LOT');
    if (args.after.supplierId == null || own.length > 0) {
      throw ruleViolation(
        'disposition',
        'Only supplier lots of an NCR with a supplier can be returned to the supplier',
        { field: 'disposition', path: '/fields/disposition' },
        { lots: own.map((hold) => hold.lotNo) },
      );
    }
  },
};

/**
 * Closing an NCR carries out its disposition on what it holds, in the closing transaction:
 * - USE_AS_IS: holds released, the lots' stock AVAILABLE again;
 * - REWORK: as USE_AS_IS, but only once every held lot or serial has passed a re-inspection after the
 *   failed one (rule `rework-reinspection`);
 * - SCRAP: held lots' stock scrapped (SCRAP movements referencing the NCR, stock in the disposed
 *   held status of the stock status enum, REJECTED), held serials REJECTED;
 * - RETURN_TO_SUPPLIER: held supplier lots' stock goes OUT to the supplier (stock in the disposed
 *   held status).
 * Each hold ends with event `quality_hold.released|scrapped|returned`.
 */
export const ncrCloseAppliesDisposition: TransitionHook = {
  entity: 'ncr',
  action: 'close',
  run: async (args) => {
    const write = writeOf(args);
    const ncr = args.after;
    const disposition = ncr.disposition as Disposition;
    const ncrNo = String(ncr.ncrNo);
    const holds = await holdsOf(write, Number(ncr.id), 'ACTIVE');
    if (disposition === 'REWORK') await assertReinspected(write, ncr, holds);
    for (const hold of holds) {
      if (disposition === 'USE_AS_IS' || disposition === 'REWORK') {
        await endHold(write, hold.id, 'RELEASED', disposition, ncrNo);
        if (hold.holdType !== 'SERIAL')
          await setLotStockStatus(write, hold.lotNo, stockStatuses(write.ctx.model).released);
        continue;
      }
      const status = disposition === 'SCRAP' ? 'SCRAPPED' : 'RETURNED';
      await endHold(write, hold.id, status, disposition, ncrNo);
      if (hold.holdType === 'SERIAL') {
        await updateRecord(write, 'serial_number', hold.serialNumberId!, {
          status: 'REJECTED',
          rejectReason: `Scrapped by ${ncrNo}`,
        });
        continue;
      }
      await removeLotStock(write, hold.lotNo, disposition === 'SCRAP' ? 'SCRAP' : 'OUT', ncrNo);
    }
  },
};

/** Moves every unit of a lot out of stock (scrap or return) with movements referencing the NCR, whose own hooks move the balances. */
async function removeLotStock(write: QualityWrite, lotNo: string, type: 'SCRAP' | 'OUT', ncrNo: string) {
  for (const stock of await setLotStockStatus(write, lotNo, stockStatuses(write.ctx.model).rejected)) {
    const quantity = Number(stock.availableQuantity ?? 0);
    if (quantity <= 0) continue;
    await createRecord(write, 'stock_transaction', {
      transactionType: type,
      itemId: stock.itemId,
      lotNo,
      fromLocationId: stock.locationId,
      quantity,
      referenceType: 'NCR',
      referenceId: ncrNo,
      reason: type === 'SCRAP' ? `Scrapped by ${ncrNo}` : `Returned to supplier by ${ncrNo}`,
      occurredAt: new Date().toISOString(),
    });
  }
}

/**
 * Rework is done when every held lot or serial passed an inspection of its own (same reference)
 * opened after the failed inspection that raised the NCR.
 */
async function assertReinspected(
  write: QualityWrite,
  ncr: EntityRecord,
  holds: readonly HeldRow[],
): Promise<void> {
  const after = typeof ncr.inspectionId === 'number' ? ncr.inspectionId : 0;
  const missing: string[] = [];
  for (const hold of holds) {
    const target: ReinspectedTarget =
      hold.holdType === 'SERIAL'
        ? { kind: 'SN', sn: await snOf(write, hold.serialNumberId!) }
        : hold.holdType === 'PRODUCTION_LOT'
          ? { kind: 'LOT', lotNo: hold.lotNo }
          : { kind: 'SUPPLIER_LOT', lotNo: hold.lotNo };
    if (!(await passedInspectionAfter(write, target, after)))
      missing.push(target.kind === 'SN' ? target.sn : target.lotNo);
  }
  if (missing.length === 0) return;
  throw ruleViolation(
    'rework-reinspection',
    `Rework needs a passed re-inspection of ${missing.join(', ')} before the NCR closes`,
    { field: 'disposition', path: '/fields/disposition' },
    { missing },
  );
}

async function snOf(write: QualityWrite, serialId: number): Promise<string> {
  const serial = await readRecord(write, 'serial_number', serialId);
  return String(serial?.sn ?? serialId);
}

async function holdsOf(write: QualityWrite, ncrId: number, status: string): Promise<HeldRow[]> {
  const rows = await holdsOfNcr(write, ncrId, status);
  return rows.map((row) => ({
    id: Number(row.id),
    holdType: row.hold_type as HoldType,
    lotNo: row.lot_no,
    serialNumberId: row.serial_id === null ? null : Number(row.serial_id),
  }));
}

function writeOf(args: TransitionHookArgs): QualityWrite {
  return { tx: args.tx, ctx: args.ctx, actorId: args.actorId, records: args.records };
}
