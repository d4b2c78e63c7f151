import { BusinessRuleError, ValidationError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, FieldError, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { liveBalanceId, type BalanceKey } from './stock-balance-store';
import { inspectedOnReceipt, receiptPassedIqc } from './stock-store';
import { stockStatuses } from './stock-status';
import { booleanSetting, SETTINGS } from './tenant-settings';

/** Tolerance of decimal(18,4) arithmetic in floating point. */
const EPSILON = 1e-9;

/** One balance change at one location: deltas of available and reserved stock (on hand = their sum). */
interface BalanceChange {
  location: 'fromLocationId' | 'toLocationId';
  available: number;
  reserved: number;
}

/** What each movement type does to the balances, for a positive quantity q. */
const MOVEMENTS: Record<string, (q: number) => BalanceChange[]> = {
  IN: (q) => [{ location: 'toLocationId', available: q, reserved: 0 }],
  PRODUCTION_RECEIPT: (q) => [{ location: 'toLocationId', available: q, reserved: 0 }],
  OUT: (q) => [{ location: 'fromLocationId', available: -q, reserved: 0 }],
  ISSUE: (q) => [{ location: 'fromLocationId', available: -q, reserved: 0 }],
  CONSUME: (q) => [{ location: 'fromLocationId', available: -q, reserved: 0 }],
  SCRAP: (q) => [{ location: 'fromLocationId', available: -q, reserved: 0 }],
  TRANSFER: (q) => [
    { location: 'fromLocationId', available: -q, reserved: 0 },
    { location: 'toLocationId', available: q, reserved: 0 },
  ],
  RESERVE: (q) => [{ location: 'fromLocationId', available: -q, reserved: q }],
  UNRESERVE: (q) => [{ location: 'fromLocationId', available: q, reserved: -q }],
};

/**
 * The shape rules of a movement the metadata cannot express: the quantity is positive (ADJUST: signed,
 * not zero) and a transfer goes somewhere else. 422 naming field, rule and path.
 */
export function movementErrors(movement: EntityRecord): FieldError[] {
  const type = String(movement.transactionType);
  const quantity = Number(movement.quantity);
  const errors: FieldError[] = [];
  if (type === 'ADJUST' && quantity === 0) {
    errors.push({
      field: 'quantity',
      path: '/quantity',
      rule: 'not',
      limit: 0,
      message: 'An adjustment needs a non-zero quantity (negative takes stock out)',
    });
  } else if (type !== 'ADJUST' && !(quantity > 0)) {
    errors.push({
      field: 'quantity',
      path: '/quantity',
      rule: 'exclusiveMinimum',
      limit: 0,
      message: `quantity must be greater than 0 for a ${type} movement`,
    });
  }
  if (
    type === 'TRANSFER' &&
    movement.fromLocationId !== undefined &&
    movement.fromLocationId !== null &&
    movement.fromLocationId === movement.toLocationId
  ) {
    errors.push({
      field: 'toLocationId',
      path: '/toLocationId',
      rule: 'different',
      limit: 'fromLocationId',
      message: 'A transfer needs a destination other than its source',
    });
  }
  return errors;
}

export function assertValidMovement(movement: EntityRecord): void {
  const errors = movementErrors(movement);
  if (errors.length > 0) throw new ValidationError(errors);
}

/**
 * Applies a stock transaction to the balances inside its transaction. Each balance changes through
 * the record-change path (`changeIn`: the balance read with a lock, then updated with its hooks,
 * audit record and `stock.updated` event; available and reserved stock stay at or above zero), so
 * concurrent movements wait for each other and can neither lose an update nor take stock below
 * zero: a movement larger than what is available fails with 422 and rolls back with everything
 * else in the transaction. A
 * transfer changes both balances in the same transaction. The tenant setting
 * `inventory.allow_negative_stock` lifts the available-stock floor (never the reserved one). ADJUST
 * applies its signed quantity at `to_location` (or `from_location`). Movements touch active
 * locations only.
 */
export async function applyStockMovement(
  tx: SqlExecutor,
  ctx: RequestContext,
  movement: EntityRecord,
  records: RecordChanges,
): Promise<void> {
  const type = String(movement.transactionType);
  const quantity = Number(movement.quantity);
  const lotNo = typeof movement.lotNo === 'string' && movement.lotNo !== '' ? movement.lotNo : null;
  const changes: BalanceChange[] =
    type === 'ADJUST'
      ? [
          {
            location: movement.toLocationId ? 'toLocationId' : 'fromLocationId',
            available: quantity,
            reserved: 0,
          },
        ]
      : (MOVEMENTS[type]?.(quantity) ?? []);
  if (changes.length === 0) return;
  const allowNegative = await booleanSetting(tx, ctx, SETTINGS.allowNegativeStock, false);
  for (const change of changes) {
    const locationId = movement[change.location];
    await assertActiveLocation(tx, ctx, change.location, locationId);
    await changeBalance(tx, ctx, records, {
      itemId: movement.itemId as number,
      lotNo,
      locationId: locationId as number,
      available: change.available,
      reserved: change.reserved,
      allowNegative,
      usable:
        USES_RELEASED_STOCK.has(type) &&
        change.location === 'fromLocationId' &&
        !qualityDisposition(ctx, movement),
      arrivingStatus: () => arrivingStatus(tx, ctx, movement),
    });
  }
}

/**
 * Movements that take stock for use or send it on: held stock (the stock statuses marked `held`:
 * quarantined, rejected) never leaves its place that way — quality releases it first (an IQC pass,
 * an NCR's disposition).
 */
const USES_RELEASED_STOCK = new Set(['ISSUE', 'CONSUME', 'OUT', 'TRANSFER', 'RESERVE']);

/**
 * The movements an NCR's disposition makes itself (scrap, return to supplier) take the stock it
 * rejected: made by the engine (no caller's access rules) and referencing the NCR.
 */
function qualityDisposition(ctx: RequestContext, movement: EntityRecord): boolean {
  return ctx.access === undefined && movement.referenceType === 'NCR';
}

/**
 * The status of stock arriving where the item has none yet: a receipt against a GRN of an item
 * inspected on receipt waits in the status's held default (QUARANTINE) for its IQC (released,
 * AVAILABLE, once the GRN's IQC passed); a transfer brings released stock (nothing else may move);
 * other receipts are released, except the finished goods of a work order, which keep the metadata's
 * default until quality releases them.
 */
async function arrivingStatus(
  tx: SqlExecutor,
  ctx: RequestContext,
  movement: EntityRecord,
): Promise<string | undefined> {
  const type = String(movement.transactionType);
  if (type === 'PRODUCTION_RECEIPT') return undefined;
  const { released, waiting } = stockStatuses(ctx.model);
  if (type === 'IN' && movement.referenceType === 'GRN' && typeof movement.referenceId === 'string') {
    if (!(await inspectedOnReceipt(tx, ctx.model, ctx.tenantId, movement.itemId as number))) return released;
    return (await receiptPassedIqc(tx, ctx.model, ctx.tenantId, movement.referenceId)) ? released : waiting;
  }
  return released;
}

async function assertActiveLocation(
  tx: SqlExecutor,
  ctx: RequestContext,
  field: string,
  locationId: unknown,
): Promise<void> {
  if (typeof locationId !== 'number') {
    throw new BusinessRuleError(`This movement needs ${field}`, {
      errors: [
        { field, path: `/${field}`, rule: 'required', message: `${field} is required for this movement` },
      ],
    });
  }
  const location = ctx.model.entities.get('location');
  if (!location) return;
  const [row] = await new RowStore(ctx.tenantId).byIds(tx, location, [locationId], true);
  const status = row?.[location.fieldsByName.get('status')?.column ?? 'status'];
  if (status !== undefined && status !== null && status !== 'ACTIVE') {
    throw new BusinessRuleError(`Location ${locationId} is ${String(status)}: stock cannot move there`, {
      rule: 'active-location',
      errors: [
        {
          field,
          path: `/${field}`,
          rule: 'active-location',
          message: `location ${locationId} is ${String(status)}`,
        },
      ],
    });
  }
}

async function changeBalance(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  change: BalanceKey & {
    available: number;
    reserved: number;
    allowNegative: boolean;
    /** Only released stock may take this change (not a held status: QUARANTINE, REJECTED). */
    usable: boolean;
    arrivingStatus: () => Promise<string | undefined>;
  },
): Promise<void> {
  const engine = engineContext(ctx);
  const id = await liveBalanceId(tx, ctx.model, ctx.tenantId, change);
  if (id !== undefined) {
    await records.changeIn(tx, 'stock', id, (balance) => movedBalance(ctx, balance, change), engine);
    return;
  }
  if (change.reserved < 0 || (change.available < 0 && !change.allowNegative)) throw notEnoughStock(change);
  // The first stock of the item and lot at the location: a new balance record holding this change,
  // created through the record-change path (its hooks, audit record and `stock.created` event).
  const status = await change.arrivingStatus();
  await records.createIn(
    tx,
    'stock',
    {
      itemId: change.itemId,
      lotNo: change.lotNo,
      locationId: change.locationId,
      quantity: change.available + change.reserved,
      availableQuantity: change.available,
      reservedQuantity: change.reserved,
      ...(status ? { status } : {}),
    },
    engine,
  );
}

/**
 * The balance's quantities after the change: refused (422) when held stock would be used or moved,
 * or when reserved stock, or available stock unless negative stock is allowed, would go below zero.
 */
function movedBalance(
  ctx: RequestContext,
  balance: EntityRecord,
  change: BalanceKey & { available: number; reserved: number; allowNegative: boolean; usable: boolean },
): EntityRecord {
  const status = String(balance.status);
  if (change.usable && stockStatuses(ctx.model).held.includes(status)) {
    const what = `${change.lotNo ? `Lot ${change.lotNo}` : `Item ${change.itemId}`} at location ${change.locationId}`;
    throw new BusinessRuleError(`${what} is ${status}: quality must release it before it is used or moved`, {
      rule: 'stock-status',
      errors: [
        {
          field: 'lotNo',
          path: '/lotNo',
          rule: 'stock-status',
          limit: status,
          message: `the stock is ${status}`,
        },
      ],
    });
  }
  const available = Number(balance.availableQuantity ?? 0) + change.available;
  const reserved = Number(balance.reservedQuantity ?? 0) + change.reserved;
  if (reserved < -EPSILON || (available < -EPSILON && !change.allowNegative)) throw notEnoughStock(change);
  return {
    quantity: Number(balance.quantity ?? 0) + change.available + change.reserved,
    availableQuantity: available,
    reservedQuantity: reserved,
  };
}

/** 422: the change would take reserved or available stock below zero. */
function notEnoughStock(change: BalanceKey & { available: number; reserved: number }): BusinessRuleError {
  const what = change.reserved < 0 ? 'reserved' : 'available';
  const wanted = change.reserved < 0 ? -change.reserved : -change.available;
  return new BusinessRuleError(
    `Not enough ${what} stock of item ${change.itemId}${change.lotNo ? ` lot ${change.lotNo}` : ''} at location ${change.locationId} for ${wanted}`,
    {
      rule: 'no-negative-stock',
      itemId: change.itemId,
      lotNo: change.lotNo,
      locationId: change.locationId,
      errors: [
        {
          field: 'quantity',
          path: '/quantity',
          rule: 'no-negative-stock',
          limit: what,
          message: `more than the ${what} stock at location ${change.locationId}`,
        },
      ],
    },
  );
}
