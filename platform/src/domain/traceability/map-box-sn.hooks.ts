import { BusinessRuleError, ValidationError } from '../../crud/errors';
import type { EntityRecord, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { nowForDb } from '../../data/values';
import type { EntityHooks } from '../../generated/domain-hooks';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';

/**
 * Packing a serial into a box (a `map_box_sn` row), in the row's create transaction: the box number
 * is the box's, the serial exists and is in no box yet, the box is open and has room; the serial
 * then points at its box, the box counts it, and the genealogy gets `SN → BOX` PACKED, so a forward
 * trace from a lot reaches its boxes and a reverse trace from a box reaches its serials.
 */
export const hooks: EntityHooks = {
  inTransaction: {
    create: ({ tx, ctx, record }) => packSerial(tx, ctx, record),
  },
};

async function packSerial(tx: SqlExecutor, ctx: RequestContext, record: EntityRecord): Promise<void> {
  const box = ctx.model.entities.get('box');
  const serial = ctx.model.entities.get('serial_number');
  if (!box || !serial) return;
  const q = tx.dialect.quote;
  const [boxRow] = await new RowStore(ctx.tenantId).byIds(tx, box, [record.boxId as number], true);
  if (!boxRow) return; // the engine's reference check has already refused a missing box
  if (boxRow.box_no !== record.boxNo) {
    throw invalid(
      'boxNo',
      'matches',
      `boxNo '${String(record.boxNo)}' is not the number of box ${String(boxRow.box_no)}`,
    );
  }
  const serials = await tx.query<{ id: number; box_id: number | null }>(
    `SELECT id, box_id FROM ${q(serial.table)} WHERE tenant_id = ? AND sn = ? AND deleted_at IS NULL`,
    [ctx.tenantId, record.sn],
  );
  const target = serials[0];
  if (!target) throw invalid('sn', 'exists', `Serial number '${String(record.sn)}' does not exist`);
  if (target.box_id !== null && target.box_id !== undefined) {
    throw new BusinessRuleError(`Serial number '${String(record.sn)}' is already packed`, {
      rule: 'packed-once',
      field: 'sn',
    });
  }
  // One conditional update: an open box with room, so concurrent packing cannot overfill it.
  const counted = await tx.execute(
    `UPDATE ${q(box.table)} SET quantity = quantity + 1, updated_at = ?, updated_by = ?, version = version + 1
      WHERE tenant_id = ? AND id = ? AND status = 'OPEN' AND quantity < capacity`,
    [nowForDb(), ctx.userId, ctx.tenantId, boxRow.id],
  );
  if (counted.affected === 0) {
    throw new BusinessRuleError(
      `Box ${String(boxRow.box_no)} is ${boxRow.status === 'OPEN' ? 'full' : String(boxRow.status).toLowerCase()}`,
      { rule: 'box-open-with-room', field: 'boxId' },
    );
  }
  await tx.execute(`UPDATE ${q(serial.table)} SET box_id = ? WHERE tenant_id = ? AND id = ?`, [
    boxRow.id,
    ctx.tenantId,
    target.id,
  ]);
  await writeGenealogy(tx, ctx.tenantId, [
    {
      from: nodeKey('SN', String(record.sn)),
      to: nodeKey('BOX', String(boxRow.box_no)),
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
