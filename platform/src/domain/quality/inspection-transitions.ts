import type { EntityRecord } from '../../crud/types';
import { nodeKey, writeGenealogy, type GenealogyEdge } from '../../trace/genealogy';
import type { TransitionHook, TransitionHookArgs } from '../../workflow/workflow.service';
import { stockStatuses } from '../inventory/stock-status';
import { defectSummaryOf } from './defect-summary';
import { judgeInspection, type InspectionJudgement } from './inspection.hooks';
import { activeHolds, holdTargetsOf, placeHolds, setLotStockStatus, type HoldTarget } from './quality-hold';
import { createRecord, ruleViolation, type QualityWrite } from './quality-records';

/**
 * Passing an inspection needs every check item recorded (and none failed: the workflow's guard on
 * `result`). An IQC pass releases the supplier lot's stock (QUARANTINE → AVAILABLE) unless an NCR
 * holds it. The inspection joins the genealogy (INSP → what it inspected).
 */
export const inspectionPassed: TransitionHook = {
  entity: 'inspection',
  action: 'pass',
  run: async (args) => {
    const write = writeOf(args);
    const judgement = await judgeInspection(write, { ...args.after });
    assertRecorded(judgement);
    const inspection = args.after;
    const targets = await holdTargetsOf(write, inspection);
    if (inspection.inspectionType === 'IQC') {
      for (const target of targets)
        if ((await activeHolds(write, { lotNos: [target.lotNo] })).length === 0)
          await setLotStockStatus(write, target.lotNo, stockStatuses(args.ctx.model).released);
    }
    await writeGenealogy(args.tx, args.ctx.tenantId, inspectedEdges(inspection, targets));
  },
};

/**
 * Failing an inspection opens an NCR linked to the inspection, item, lot or serial and (IQC) supplier,
 * and puts what was inspected on hold, in the transition's transaction (events `ncr.created`,
 * `quality_hold.created`). The recorded items must say FAIL when there are any. An inspection whose
 * reference names nothing that can be held still opens its NCR.
 */
export const inspectionFailed: TransitionHook = {
  entity: 'inspection',
  action: 'fail',
  run: async (args) => {
    const write = writeOf(args);
    const inspection = args.after;
    const judgement = await judgeInspection(write, { ...inspection });
    assertRecorded(judgement);
    if (judgement.items > 0 && judgement.result === 'PASS') {
      throw ruleViolation(
        'inspection-result',
        'Every recorded check item passed; pass the inspection instead',
        {
          field: 'result',
        },
      );
    }
    const targets = await holdTargetsOf(write, inspection);
    const ncr = await openNcr(write, inspection, judgement, targets);
    await placeHolds(write, ncr, targets);
    await writeGenealogy(args.tx, args.ctx.tenantId, inspectedEdges(inspection, targets));
    const total = judgement.items > 0 ? judgement.defectQuantity : Number(inspection.defectQuantity ?? 0);
    args.eventData['inspection.failed'] = {
      failure_reason: inspection.failureReason ?? null,
      defect_summary: await defectSummaryOf(write, total, judgement.defects),
    };
  },
};

const CATEGORY_OF_TYPE: Record<string, string> = { IQC: 'MATERIAL' };

async function openNcr(
  write: QualityWrite,
  inspection: EntityRecord,
  judgement: InspectionJudgement,
  targets: readonly HoldTarget[],
): Promise<EntityRecord> {
  const serial = targets.length === 1 ? targets[0]!.serialNumberId : null;
  const lotNo =
    targets.length > 0 && targets.every((t) => t.lotNo === targets[0]!.lotNo) ? targets[0]!.lotNo : null;
  const failedChecks = judgement.failed.length > 0 ? ` (failed checks: ${judgement.failed.join(', ')})` : '';
  return createRecord(
    write,
    'ncr',
    {
      title: `${String(inspection.inspectionType)} ${String(inspection.inspNo)} failed on ${String(inspection.refType)} ${String(inspection.refId)}`,
      source: inspection.inspectionType,
      inspectionId: inspection.id,
      itemId: inspection.itemId ?? null,
      supplierId: inspection.inspectionType === 'IQC' ? (inspection.supplierId ?? null) : null,
      workOrderId: inspection.workOrderId ?? null,
      lotNo,
      serialNumberId: serial,
      affectedLotsIds:
        inspection.refType === 'LOT' && inspection.lotId != null ? [inspection.lotId] : undefined,
      affectedQuantity: Number(inspection.defectQuantity ?? 0),
      severity: inspection.problemSeverity ?? 'MEDIUM',
      category: CATEGORY_OF_TYPE[String(inspection.inspectionType)] ?? 'PROCESS',
      description: `${String(inspection.failureReason ?? 'Inspection failed')}${failedChecks}`,
    },
    (record) => ({
      ...record,
      ncr_id: record.id,
      insp_id: inspection.id,
      affected_items: targets.map((t) => ({
        hold_type: t.holdType,
        lot_no: t.lotNo,
        serial_number_id: t.serialNumberId,
      })),
      created_by: write.actorId,
    }),
  );
}

function assertRecorded(judgement: InspectionJudgement): void {
  if (judgement.unrecorded.length === 0) return;
  throw ruleViolation(
    'inspection-items-recorded',
    `Record every check item first: ${judgement.unrecorded.join(', ')} not recorded`,
    { field: 'items' },
    { unrecorded: judgement.unrecorded },
  );
}

/** Genealogy edges from the inspection to what it inspected (supplier lot, production lot, serial). */
function inspectedEdges(inspection: EntityRecord, targets: readonly HoldTarget[]): GenealogyEdge[] {
  const from = nodeKey('INSP', String(inspection.inspNo));
  const ref = { relation: 'INSPECTED', refType: 'inspection', refId: String(inspection.inspNo) };
  return targets.map((target) => {
    if (target.holdType === 'SUPPLIER_LOT') return { from, to: nodeKey('SLOT', target.lotNo), ...ref };
    if (target.holdType === 'PRODUCTION_LOT') return { from, to: nodeKey('LOT', target.lotNo), ...ref };
    return { from, to: nodeKey('SN', String(target.sn)), ...ref };
  });
}

function writeOf(args: TransitionHookArgs): QualityWrite {
  return { tx: args.tx, ctx: args.ctx, actorId: args.actorId, records: args.records };
}
