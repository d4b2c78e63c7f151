import { BusinessRuleError, ValidationError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import type { EntityHooks } from '../../generated/domain-hooks';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { idByNumber } from './packing-store';

/**
 * Packing a serial into a box (a `map_box_sn` row), in the row's create transaction: the box number
 * is the box's, the serial exists and is in no box yet, the box is open and has room; the serial
 * then points at its box and the box counts it — both through the record-change path (their
 * version guards two packers racing for the last place) — and the genealogy gets `SN → BOX` PACKED.
 */
export const hooks: EntityHooks = {
  inTransaction: {
    create: ({ tx, ctx, record, records }) => packSerial(tx, ctx, records, record),
  },
};

async function packSerial(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  record: EntityRecord,
): Promise<void> {
  const engine = engineContext(ctx);
  const box = await records.getIn(tx, 'box', record.boxId as number, engine);
  if (box.boxNo !== record.boxNo) {
    throw invalid(
      'boxNo',
      'matches',
      `boxNo '${String(record.boxNo)}' is not the number of box ${String(box.boxNo)}`,
    );
  }
  const serialId = await idByNumber(tx, ctx.model, ctx.tenantId, 'serial_number', record.sn);
  if (serialId === null) throw invalid('sn', 'exists', `Serial number '${String(record.sn)}' does not exist`);
  const serial = await records.getIn(tx, 'serial_number', serialId, engine);
  if (serial.boxId !== null && serial.boxId !== undefined) {
    throw new BusinessRuleError(`Serial number '${String(record.sn)}' is already packed`, {
      rule: 'packed-once',
      field: 'sn',
    });
  }
  const packed = Number(box.quantity);
  if (box.status !== 'OPEN' || packed >= Number(box.capacity)) {
    throw new BusinessRuleError(
      `Box ${String(box.boxNo)} is ${box.status === 'OPEN' ? 'full' : String(box.status).toLowerCase()}`,
      { rule: 'box-open-with-room', field: 'boxId' },
    );
  }
  await records.updateIn(tx, 'box', Number(box.id), { quantity: packed + 1 }, engine);
  await records.updateIn(
    tx,
    'serial_number',
    serialId,
    { boxId: box.id, palletId: box.palletId ?? null },
    engine,
  );
  await writeGenealogy(tx, ctx.tenantId, [
    {
      from: nodeKey('SN', String(record.sn)),
      to: nodeKey('BOX', String(box.boxNo)),
      relation: 'PACKED',
      quantity: 1,
      refType: 'map_box_sn',
      refId: String(record.id),
    },
  ]);
}

function invalid(field: string, rule: string, message: string): ValidationError {
  return new ValidationError([{ field, path: `/${field}`, rule, message }]);
}
