import { ValidationError } from '../../crud/errors';
import { EntityWriter } from '../../crud/entity-writer';
import { serializeRow } from '../../crud/serializer';
import type { EntityRecord, FieldError } from '../../crud/types';
import { RowStore } from '../../data/row-store';
import type { EntityHooks } from '../../generated/domain-hooks';
import { runtimeOf } from '../../kernel/model-runtime';
import type { FailedItemDefect } from './defect-summary';
import { judge, parseCheckItems, type Characteristic } from './judgement';
import { plansInForce } from './inspection-plan-store';
import { auditChange, findIds, readRecord, ruleViolation, type QualityWrite } from './quality-records';

/** States in which an inspection's results are final. */
export const CLOSED_INSPECTION_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Inspections from inspection plans, judged automatically:
 * - create: the reference (SN, LOT, WO, BOX, PLT) must exist; the item, lot and work order follow
 *   from it where not given, and the matching active plan's check items are copied into the inspection's items;
 * - update: every recorded value is judged against its spec limits (or OK/NG), and once every item is
 *   recorded the inspection's result is PASS or FAIL (any failed item) with its defect quantity.
 * The inspector then fires `pass` or `fail` (inspection-transitions.ts checks they match the result).
 */
export const hooks: EntityHooks = {
  before: {
    update: ({ body, current }) => {
      if (body.items !== undefined && current && CLOSED_INSPECTION_STATES.has(String(current.status))) {
        throw ruleViolation(
          'inspection-closed',
          `Inspection ${String(current.inspNo)} is ${String(current.status)}; its results can no longer change`,
          { field: 'items' },
        );
      }
    },
  },
  inTransaction: {
    create: async ({ tx, ctx, record, records }) => {
      const write = { tx, ctx, actorId: ctx.userId ?? 'system', records };
      await fromReferenceAndPlan(write, record);
    },
    update: async ({ tx, ctx, record, records }) => {
      // A closed inspection keeps its verdict (a concession's SPECIAL included) when other fields change.
      if (CLOSED_INSPECTION_STATES.has(String(record.status))) return;
      await judgeInspection({ tx, ctx, actorId: ctx.userId ?? 'system', records }, record);
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

async function fromReferenceAndPlan(write: QualityWrite, record: EntityRecord): Promise<void> {
  const id = Number(record.id);
  const before = { ...record };
  const patch: EntityRecord = {};
  const reference = REFERENCES[String(record.refType)];
  if (reference && write.ctx.model.entities.has(reference.entity)) {
    const [targetId] = await findIds(write, reference.entity, { [reference.key]: record.refId });
    const target = targetId === undefined ? null : await readRecord(write, reference.entity, targetId);
    if (!target) {
      throw new ValidationError([
        {
          field: 'refId',
          path: '/refId',
          rule: 'exists',
          message: `${String(record.refType)} ${String(record.refId)} does not exist`,
        },
      ]);
    }
    for (const [field, source] of Object.entries(reference.fills))
      if ((record[field] === null || record[field] === undefined) && target[source] != null)
        patch[field] = target[source];
  }
  const itemId = patch.itemId ?? record.itemId;
  const plan =
    record.planId != null
      ? await readRecord(write, 'inspection_plan', Number(record.planId))
      : await activePlan(write, itemId, String(record.inspectionType), record.supplierId);
  if (plan && record.planId == null) patch.planId = plan.id;
  if (plan && record.aqlLevel == null && plan.aqlLevel != null) patch.aqlLevel = plan.aqlLevel;

  const items = Array.isArray(record.items) ? record.items : [];
  let copied: EntityRecord[] = [];
  if (plan && items.length === 0) {
    const checks = parseCheckItems(plan.checkItems);
    const itemRt = runtimeOf(write.ctx.model).entity('inspection_item');
    const ids = await new EntityWriter(write.tx, { ...write.ctx, userId: write.actorId }).insert(
      itemRt,
      checks.map((check, index) => ({
        inspectionId: id,
        lineNo: index + 1,
        itemKey: check.itemKey,
        itemName: check.itemName,
        characteristic: check.characteristic,
        standardValue: check.standardValue,
        lowerLimit: check.lowerLimit,
        upperLimit: check.upperLimit,
        unit: check.unit,
        method: check.method,
      })),
    );
    const rows = await new RowStore(write.ctx.tenantId).byIds(write.tx, itemRt.entity, ids, true);
    copied = rows.map((row) => serializeRow(itemRt, row, write.ctx.tenantId));
  }
  if (Object.keys(patch).length === 0 && copied.length === 0) return;
  if (Object.keys(patch).length > 0) {
    const rt = runtimeOf(write.ctx.model).entity('inspection');
    const [row] = await new RowStore(write.ctx.tenantId).byIds(write.tx, rt.entity, [id], true);
    await new EntityWriter(write.tx, { ...write.ctx, userId: write.actorId }).update(
      rt,
      row!,
      patch,
      Number(row!.version),
    );
    Object.assign(record, await readRecord(write, 'inspection', id));
  }
  if (copied.length > 0) record.items = copied;
  await auditChange(write, 'inspection', id, 'UPDATE', before, record);
}

/**
 * The active plan for the item and inspection type in force today; for IQC a plan of the inspection's
 * supplier wins over one for any supplier.
 */
async function activePlan(
  write: QualityWrite,
  itemId: unknown,
  inspectionType: string,
  supplierId: unknown,
): Promise<EntityRecord | null> {
  if (itemId === null || itemId === undefined) return null;
  const rows = await plansInForce(write, {
    itemId,
    inspectionType,
    supplierId: typeof supplierId === 'number' ? supplierId : null,
    day: new Date().toISOString().slice(0, 10),
  });
  const best = rows.find((row) => row.supplier !== null) ?? rows[0];
  return best ? readRecord(write, 'inspection_plan', Number(best.id)) : null;
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

/**
 * Judges the recorded values of an inspection's items, stores each item's result and the
 * inspection's result and defect quantity, and refreshes `record` (the API response and the event).
 */
export async function judgeInspection(
  write: QualityWrite,
  record: EntityRecord,
): Promise<InspectionJudgement> {
  const id = Number(record.id);
  const runtime = runtimeOf(write.ctx.model);
  const inspectionRt = runtime.entity('inspection');
  const itemRt = runtime.entity('inspection_item');
  const itemsField = inspectionRt.entity.fieldsByName.get('items')!;
  const store = new RowStore(write.ctx.tenantId);
  const rows = await store.childrenOf(write.tx, itemRt.entity, itemsField, [id]);
  const writer = new EntityWriter(write.tx, { ...write.ctx, userId: write.actorId });
  const errors: FieldError[] = [];
  const judged: EntityRecord[] = [];
  let changed = false;
  for (const [index, row] of rows.entries()) {
    const item = serializeRow(itemRt, row, write.ctx.tenantId);
    const actual = item.actualValue;
    if (actual === null || actual === undefined || String(actual).trim() === '') {
      if (item.result === 'PASS' || item.result === 'FAIL') {
        // A value taken back un-records the item.
        await writer.update(itemRt, row, { result: null, defectCount: 0 }, Number(row.version));
        const [cleared] = await store.byIds(write.tx, itemRt.entity, [Number(row.id)], true);
        judged.push(serializeRow(itemRt, cleared!, write.ctx.tenantId));
        changed = true;
      } else judged.push(item);
      continue;
    }
    const outcome = judge(
      {
        characteristic: (item.characteristic as Characteristic | null) ?? 'ATTRIBUTE',
        lowerLimit: item.lowerLimit == null ? null : Number(item.lowerLimit),
        upperLimit: item.upperLimit == null ? null : Number(item.upperLimit),
      },
      String(actual),
    );
    if ('error' in outcome) {
      errors.push({
        field: 'actualValue',
        path: `/items/${index}/actualValue`,
        rule: outcome.rule,
        message: `${String(item.itemKey)}: ${outcome.error}`,
      });
      continue;
    }
    const defectCount = outcome.result === 'FAIL' ? Math.max(1, Number(item.defectCount ?? 0)) : 0;
    if (item.result !== outcome.result || Number(item.defectCount ?? 0) !== defectCount) {
      await writer.update(itemRt, row, { result: outcome.result, defectCount }, Number(row.version));
      const [updated] = await store.byIds(write.tx, itemRt.entity, [Number(row.id)], true);
      judged.push(serializeRow(itemRt, updated!, write.ctx.tenantId));
      changed = true;
    } else judged.push(item);
  }
  if (errors.length > 0) throw new ValidationError(errors, 'Recorded values could not be judged');

  const recorded = judged.filter(
    (item) => item.result === 'PASS' || item.result === 'FAIL' || item.result === 'SPECIAL',
  );
  const failed = judged.filter((item) => item.result === 'FAIL');
  const summary: InspectionJudgement = {
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
  if (judged.length === 0) return summary;
  const before = { ...record };
  const patch: EntityRecord = {};
  if (record.result !== summary.result) patch.result = summary.result;
  if (Number(record.defectQuantity ?? 0) !== summary.defectQuantity)
    patch.defectQuantity = summary.defectQuantity;
  if (Object.keys(patch).length > 0) {
    const [row] = await store.byIds(write.tx, inspectionRt.entity, [id], true);
    await writer.update(inspectionRt, row!, patch, Number(row!.version));
    Object.assign(record, await readRecord(write, 'inspection', id));
  }
  record.items = judged;
  if (changed || Object.keys(patch).length > 0)
    await auditChange(write, 'inspection', id, 'UPDATE', before, record);
  return summary;
}
