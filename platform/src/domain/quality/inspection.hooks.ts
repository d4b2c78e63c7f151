import { ValidationError } from '../../crud/errors';
import { serializeRow } from '../../crud/serializer';
import type { EntityRecord, FieldError } from '../../crud/types';
import { RowStore } from '../../data/row-store';
import type { EntityHooks } from '../../generated/domain-hooks';
import { runtimeOf } from '../../kernel/model-runtime';
import type { FailedItemDefect } from './defect-summary';
import { judge, parseCheckItems, type Characteristic } from './judgement';
import { plansInForce } from './inspection-plan-store';
import {
  findIds,
  readRecord,
  ruleViolation,
  updateRecord,
  type QualityRead,
  type QualityWrite,
} from './quality-records';

/** States in which an inspection's results are final. */
export const CLOSED_INSPECTION_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Inspections from inspection plans, judged automatically. Both rules complete the body in the
 * `before` phase, so the inspection, its items and its result are written, audited and announced
 * as one change of the record-change path:
 * - create: the reference (SN, LOT, WO, BOX, PLT) must exist; the item, lot and work order follow
 *   from it where not given, and the matching active plan's check items become the inspection's items;
 * - update: every recorded value is judged against its spec limits (or OK/NG), and once every item is
 *   recorded the inspection's result is PASS or FAIL (any failed item) with its defect quantity.
 * The inspector then fires `pass` or `fail` (inspection-transitions.ts checks they match the result).
 */
export const hooks: EntityHooks = {
  before: {
    create: ({ tx, ctx, body }) => fromReferenceAndPlan({ tx, ctx }, body),
    update: async ({ tx, ctx, body, current, id }) => {
      if (body.items === undefined || !current || id === null) return;
      if (CLOSED_INSPECTION_STATES.has(String(current.status))) {
        throw ruleViolation(
          'inspection-closed',
          `Inspection ${String(current.inspNo)} is ${String(current.status)}; its results can no longer change`,
          { field: 'items' },
        );
      }
      await judgeSentItems({ tx, ctx }, id, current, body);
    },
  },
};
/** What a reference type points at: the entity, its key field, and the inspection fields it fills. */
const REFERENCES: Record<string, { entity: string; key: string; fills: Record<string, string> }> = {
  SN: {
    entity: 'serial_number',
    key: 'sn',
    fills: { itemId: 'itemId', lotId: 'lotId', workOrderId: 'workOrderId' },
  },
  LOT: {
    entity: 'production_lot',
    key: 'lot_no',
    fills: { itemId: 'itemId', lotId: 'id', workOrderId: 'workOrderId' },
  },
  WO: { entity: 'work_order', key: 'wo_no', fills: { itemId: 'itemId', workOrderId: 'id' } },
  BOX: { entity: 'box', key: 'box_no', fills: { itemId: 'itemId', workOrderId: 'workOrderId' } },
  PLT: { entity: 'pallet', key: 'pallet_no', fills: {} },
};

/** Completes a create body from its reference and the plan in force: fills, plan and check items. */
async function fromReferenceAndPlan(read: QualityRead, body: EntityRecord): Promise<void> {
  const reference = REFERENCES[String(body.refType)];
  if (reference && read.ctx.model.entities.has(reference.entity)) {
    const [targetId] = await findIds(read, reference.entity, { [reference.key]: body.refId });
    const target = targetId === undefined ? null : await readRecord(read, reference.entity, targetId);
    if (!target) {
      throw new ValidationError([
        {
          field: 'refId',
          path: '/refId',
          rule: 'exists',
          message: `${String(body.refType)} ${String(body.refId)} does not exist`,
        },
      ]);
    }
    for (const [field, source] of Object.entries(reference.fills))
      if ((body[field] === null || body[field] === undefined) && target[source] != null)
        body[field] = target[source];
  }
  const plan =
    body.planId != null
      ? await readRecord(read, 'inspection_plan', Number(body.planId))
      : await activePlan(read, body.itemId, String(body.inspectionType), body.supplierId);
  if (!plan) return;
  if (body.planId == null) body.planId = plan.id;
  if (body.aqlLevel == null && plan.aqlLevel != null) body.aqlLevel = plan.aqlLevel;
  if (Array.isArray(body.items) && body.items.length > 0) return;
  body.items = parseCheckItems(plan.checkItems).map((check, index) => ({
    lineNo: index + 1,
    itemKey: check.itemKey,
    itemName: check.itemName,
    characteristic: check.characteristic,
    standardValue: check.standardValue,
    lowerLimit: check.lowerLimit,
    upperLimit: check.upperLimit,
    unit: check.unit,
    method: check.method,
  }));
}

/**
 * The active plan for the item and inspection type in force today; for IQC a plan of the inspection's
 * supplier wins over one for any supplier.
 */
async function activePlan(
  read: QualityRead,
  itemId: unknown,
  inspectionType: string,
  supplierId: unknown,
): Promise<EntityRecord | null> {
  if (itemId === null || itemId === undefined) return null;
  const rows = await plansInForce(read, {
    itemId,
    inspectionType,
    supplierId: typeof supplierId === 'number' ? supplierId : null,
    day: new Date().toISOString().slice(0, 10),
  });
  const best = rows.find((row) => row.supplier !== null) ?? rows[0];
  return best ? readRecord(read, 'inspection_plan', Number(best.id)) : null;
}

/** Summary of an inspection's items once judged. */
export interface InspectionJudgement {
  items: number;
  recorded: number;
  failed: string[];
  /** The failed items' defects: code (qms_code id, null when none was given) and count. */
  defects: FailedItemDefect[];
  unrecorded: string[];
  result: 'PASS' | 'FAIL' | 'PENDING';
  defectQuantity: number;
}

/** What judging an item's recorded value changes on it (nothing: `{}`), or why it cannot be judged. */
type ItemVerdict = { changes: EntityRecord } | { error: string; rule: string };

function judgeItem(item: EntityRecord): ItemVerdict {
  const actual = item.actualValue;
  if (actual === null || actual === undefined || String(actual).trim() === '') {
    // A value taken back un-records the item.
    const recorded = item.result === 'PASS' || item.result === 'FAIL';
    return { changes: recorded ? { result: null, defectCount: 0 } : {} };
  }
  const outcome = judge(
    {
      characteristic: (item.characteristic as Characteristic | null) ?? 'ATTRIBUTE',
      lowerLimit: item.lowerLimit == null ? null : Number(item.lowerLimit),
      upperLimit: item.upperLimit == null ? null : Number(item.upperLimit),
    },
    String(actual),
  );
  if ('error' in outcome) return outcome;
  const defectCount = outcome.result === 'FAIL' ? Math.max(1, Number(item.defectCount ?? 0)) : 0;
  if (item.result === outcome.result && Number(item.defectCount ?? 0) === defectCount) return { changes: {} };
  return { changes: { result: outcome.result, defectCount } };
}

/** Judges every item, refusing the values that cannot be judged (422 naming each item's path). */
function judgeItems(items: readonly EntityRecord[]): EntityRecord[] {
  const errors: FieldError[] = [];
  const changes = items.map((item, index) => {
    const verdict = judgeItem(item);
    if ('changes' in verdict) return verdict.changes;
    errors.push({
      field: 'actualValue',
      path: `/items/${index}/actualValue`,
      rule: verdict.rule,
      message: `${String(item.itemKey)}: ${verdict.error}`,
    });
    return {};
  });
  if (errors.length > 0) throw new ValidationError(errors, 'Recorded values could not be judged');
  return changes;
}

function summarise(judged: readonly EntityRecord[]): InspectionJudgement {
  const recorded = judged.filter(
    (item) => item.result === 'PASS' || item.result === 'FAIL' || item.result === 'SPECIAL',
  );
  const failed = judged.filter((item) => item.result === 'FAIL');
  return {
    items: judged.length,
    recorded: recorded.length,
    failed: failed.map((item) => String(item.itemKey)),
    defects: failed.map((item) => ({
      defectCodeId: typeof item.defectCodeId === 'number' ? item.defectCodeId : null,
      count: Number(item.defectCount ?? 0),
    })),
    unrecorded: judged.filter((item) => !recorded.includes(item)).map((item) => String(item.itemKey)),
    result:
      judged.length > 0 && recorded.length === judged.length
        ? failed.length > 0
          ? 'FAIL'
          : 'PASS'
        : 'PENDING',
    defectQuantity: failed.reduce((sum, item) => sum + Number(item.defectCount ?? 0), 0),
  };
}

/** The inspection's fields its judged items change (result, defect quantity). */
function resultChanges(inspection: EntityRecord, summary: InspectionJudgement): EntityRecord {
  const changes: EntityRecord = {};
  if (inspection.result !== summary.result) changes.result = summary.result;
  if (Number(inspection.defectQuantity ?? 0) !== summary.defectQuantity)
    changes.defectQuantity = summary.defectQuantity;
  return changes;
}

/** The stored items of an inspection, in API shape and line order. */
async function storedItems(read: QualityRead, inspectionId: number): Promise<EntityRecord[]> {
  const runtime = runtimeOf(read.ctx.model);
  const itemRt = runtime.entity('inspection_item');
  const itemsField = runtime.entity('inspection').entity.fieldsByName.get('items')!;
  const rows = await new RowStore(read.ctx.tenantId).childrenOf(read.tx, itemRt.entity, itemsField, [
    inspectionId,
  ]);
  return rows.map((row) => serializeRow(itemRt, row, read.ctx.tenantId));
}

/**
 * Judges the items an update sends (each over its stored values) and writes the verdicts into the
 * body: every item's result and defect count, and once all are recorded the inspection's result and
 * defect quantity.
 */
async function judgeSentItems(
  read: QualityRead,
  id: number,
  current: EntityRecord,
  body: EntityRecord,
): Promise<void> {
  if (!Array.isArray(body.items) || body.items.length === 0) return;
  const sent = body.items as EntityRecord[];
  const stored = new Map((await storedItems(read, id)).map((item) => [Number(item.id), item]));
  const items = sent.map((item) => ({
    ...(typeof item.id === 'number' ? stored.get(item.id) : {}),
    ...item,
  }));
  const changes = judgeItems(items);
  sent.forEach((item, index) => Object.assign(item, changes[index]));
  const judged = items.map((item, index) => ({ ...item, ...changes[index] }));
  Object.assign(body, resultChanges(current, summarise(judged)));
}

/**
 * Judges an inspection's stored items for its `pass` or `fail` transition. Items recorded through
 * the inspection carry their verdicts already; one changed another way gets its verdict (and the
 * inspection its result) written through the record-change path.
 */
export async function judgeInspection(
  write: QualityWrite,
  inspection: EntityRecord,
): Promise<InspectionJudgement> {
  const id = Number(inspection.id);
  const items = await storedItems(write, id);
  const changes = judgeItems(items);
  const judged: EntityRecord[] = [];
  for (const [index, item] of items.entries()) {
    const change = changes[index]!;
    judged.push({ ...item, ...change });
    if (Object.keys(change).length > 0) await updateRecord(write, 'inspection_item', Number(item.id), change);
  }
  const summary = summarise(judged);
  if (judged.length === 0) return summary;
  const patch = resultChanges(inspection, summary);
  if (Object.keys(patch).length > 0) await updateRecord(write, 'inspection', id, patch);
  return summary;
}
