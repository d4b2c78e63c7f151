import { BadRequestError } from '../../crud/errors';
import type { FieldError, RequestContext } from '../../crud/types';
import type { EntityService } from '../../crud/entity.service';
import { engineContext } from '../../crud/request-context';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { isoToDbDatetime } from '../../data/values';
import { createEnvelope } from '../../events/envelope';
import { writeOutbox } from '../../events/outbox';
import { runtimeOf } from '../../kernel/model-runtime';
import { itemCountsByClass, movedQuantityByItem, storedItemClasses } from './abc-analysis-store';

/** Movements that consume stock: their quantity × the item's standard cost is its consumption value. */
const CONSUMPTION_TYPES = ['ISSUE', 'CONSUME'] as const;

export interface AbcAnalysisRequest {
  /** Period start, inclusive (ISO date or datetime). */
  from: string;
  /** Period end, exclusive. */
  to: string;
  /** Cumulative share of consumption value (%) covered by class A; default 80. */
  aPercent: number;
  /** Cumulative share (%) covered by A and B together; default 95. */
  bPercent: number;
}

export interface AbcItem {
  itemId: number;
  itemCode: string | null;
  itemName: string | null;
  issuedQuantity: number;
  unitCost: number;
  consumptionValue: number;
  /** Share of the period's total consumption value, %. */
  share: number;
  /** Share of this item and every more valuable one, %. */
  cumulativeShare: number;
  abcClass: 'A' | 'B' | 'C';
}

export interface AbcAnalysisResult {
  from: string;
  to: string;
  thresholds: { aPercent: number; bPercent: number };
  totalValue: number;
  /** Items per class, including the items without consumption in the period (class C). */
  counts: { A: number; B: number; C: number };
  /** Items consumed in the period, most valuable first. */
  items: AbcItem[];
}

/** Reads and checks the request body; 400 naming the field, the rule and the path. */
export function parseAbcRequest(raw: unknown): AbcAnalysisRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid([
      { field: '', path: '', rule: 'type', limit: 'object', message: 'The body must be a JSON object' },
    ]);
  }
  const body = raw as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!['from', 'to', 'aPercent', 'bPercent'].includes(key))
      errors.push({ field: key, path: `/${key}`, rule: 'unknown', message: `Unknown field '${key}'` });
  }
  const time = (field: 'from' | 'to'): number => {
    const value = body[field];
    const parsed = typeof value === 'string' ? Date.parse(value) : NaN;
    if (value === undefined || value === null || value === '')
      errors.push({ field, path: `/${field}`, rule: 'required', message: `${field} is required` });
    else if (Number.isNaN(parsed))
      errors.push({
        field,
        path: `/${field}`,
        rule: 'format',
        limit: 'date-time',
        message: `${field} must be an ISO date or date-time`,
      });
    return parsed;
  };
  const percent = (field: 'aPercent' | 'bPercent', fallback: number): number => {
    const value = body[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !(value > 0) || value > 100) {
      errors.push({
        field,
        path: `/${field}`,
        rule: 'range',
        limit: [0, 100],
        message: `${field} must be a number above 0 and at most 100`,
      });
      return fallback;
    }
    return value;
  };
  const from = time('from');
  const to = time('to');
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from)
    errors.push({ field: 'to', path: '/to', rule: 'after', limit: 'from', message: 'to must be after from' });
  const aPercent = percent('aPercent', 80);
  const bPercent = percent('bPercent', 95);
  if (bPercent <= aPercent)
    errors.push({
      field: 'bPercent',
      path: '/bPercent',
      rule: 'greaterThan',
      limit: 'aPercent',
      message: 'bPercent must be greater than aPercent',
    });
  if (errors.length > 0) throw invalid(errors);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    aPercent,
    bPercent,
  };
}

function invalid(errors: FieldError[]): BadRequestError {
  return new BadRequestError(`Invalid ABC analysis request: ${errors.map((e) => e.message).join('; ')}`, {
    errors,
  });
}

/**
 * ABC analysis by consumption value (the usage report): for the tenant and the period,
 * each item's issued quantity (ISSUE and CONSUME movements) × its standard cost (`unit_cost`),
 * ranked by value; an item is A while the more valuable items before it cover less than `aPercent`
 * of the total, B below `bPercent`, else C — so the item that crosses a threshold still belongs to
 * the higher class. Items without consumption in the period are C. The class is written onto
 * `item_master.abc_class` through the record-change path (each item whose class changes is an
 * audited item update) in one transaction with an `inventory.abc_analysis.completed` event.
 */
export async function runAbcAnalysis(
  records: EntityService,
  ctx: RequestContext,
  request: AbcAnalysisRequest,
): Promise<AbcAnalysisResult> {
  return records.transaction(async (tx) => {
    const items = await consumptionByItem(tx, ctx, request);
    const totalValue = items.reduce((sum, item) => sum + item.consumptionValue, 0);
    let before = 0;
    for (const item of items) {
      const priorShare = totalValue > 0 ? (before / totalValue) * 100 : 100;
      before += item.consumptionValue;
      item.share = totalValue > 0 ? round((item.consumptionValue / totalValue) * 100, 4) : 0;
      item.cumulativeShare = totalValue > 0 ? round((before / totalValue) * 100, 4) : 0;
      item.abcClass = priorShare < request.aPercent ? 'A' : priorShare < request.bPercent ? 'B' : 'C';
    }
    await writeClasses(records, tx, ctx, items);
    const counts = await classCounts(tx, ctx);
    const result: AbcAnalysisResult = {
      from: request.from,
      to: request.to,
      thresholds: { aPercent: request.aPercent, bPercent: request.bPercent },
      totalValue: round(totalValue, 2),
      counts,
      items,
    };
    await writeOutbox(tx, ctx.model, [
      createEnvelope({
        type: 'inventory.abc_analysis.completed',
        tenant: ctx.tenantId,
        actor: ctx.userId,
        traceId: ctx.traceId,
        entity: 'item_master',
        payload: { from: result.from, to: result.to, thresholds: result.thresholds, totalValue, counts },
      }),
    ]);
    return result;
  });
}

async function consumptionByItem(
  tx: SqlExecutor,
  ctx: RequestContext,
  request: AbcAnalysisRequest,
): Promise<AbcItem[]> {
  const itemEntity = runtimeOf(ctx.model).entity('item_master').entity;
  const issued = await movedQuantityByItem(tx, ctx.model, ctx.tenantId, {
    types: CONSUMPTION_TYPES,
    from: isoToDbDatetime(request.from),
    to: isoToDbDatetime(request.to),
  });
  const rows = await new RowStore(ctx.tenantId).byIds(
    tx,
    itemEntity,
    issued.map((row) => Number(row.item_id)),
    true,
  );
  const byId = new Map(rows.map((row) => [Number(row.id), row]));
  const items: AbcItem[] = [];
  for (const row of issued) {
    const item = byId.get(Number(row.item_id));
    if (!item) continue;
    const issuedQuantity = Number(row.issued);
    const unitCost = Number(item.unit_cost ?? 0);
    items.push({
      itemId: Number(item.id),
      itemCode: (item.item_code as string | null) ?? null,
      itemName: (item.item_name as string | null) ?? null,
      issuedQuantity,
      unitCost,
      consumptionValue: round(issuedQuantity * unitCost, 4),
      share: 0,
      cumulativeShare: 0,
      abcClass: 'C',
    });
  }
  return items.sort(
    (a, b) => b.consumptionValue - a.consumptionValue || String(a.itemCode).localeCompare(String(b.itemCode)),
  );
}

/**
 * Writes each item's new class through the record-change path, one change per item whose class
 * differs: its hooks, audit record and `item_master.updated` event are those of any item update.
 * Items without consumption in the period are C.
 */
async function writeClasses(
  records: EntityService,
  tx: SqlExecutor,
  ctx: RequestContext,
  items: readonly AbcItem[],
): Promise<void> {
  const stored = await storedItemClasses(tx, ctx.model, ctx.tenantId);
  const classOf = new Map(items.map((item) => [item.itemId, item.abcClass]));
  // The analysis writes the classes for the caller; the class is no field a client sends.
  const analysis = engineContext(ctx);
  for (const row of stored) {
    const abcClass = classOf.get(Number(row.id)) ?? 'C';
    if (row.abc_class !== abcClass)
      await records.updateIn(tx, 'item_master', Number(row.id), { abcClass }, analysis);
  }
}

async function classCounts(tx: SqlExecutor, ctx: RequestContext): Promise<AbcAnalysisResult['counts']> {
  const rows = await itemCountsByClass(tx, ctx.model, ctx.tenantId);
  const counts = { A: 0, B: 0, C: 0 };
  for (const row of rows)
    if (row.abc_class === 'A' || row.abc_class === 'B' || row.abc_class === 'C')
      counts[row.abc_class] = Number(row.n);
  return counts;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
