import { randomUUID } from 'node:crypto';
import { BusinessRuleError, ValidationError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, FieldError, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { numberSetting, SETTINGS } from '../inventory/tenant-settings';
import { firstOpenLot, operationsInSequence } from './work-report-store';

/** Tolerance of decimal(18,4) arithmetic in floating point. */
const EPSILON = 1e-9;

/** The work order state in which work is reported. */
const REPORTING_STATE = 'IN_PROGRESS';

/**
 * Books a work report inside its create transaction. The order's, the operation's and the lot's
 * quantities change through the record-change path (`changeIn`: each row read with a lock, then
 * updated with its hooks, audit record and `.updated` event), so concurrent reports on the same
 * order wait for each other and can neither lose an update nor slip past a state or a limit:
 *
 * 1. the work order must be in progress;
 * 2. the operation belongs to the order and is not cancelled; good + scrap is positive; the report
 *    ends after it starts;
 * 3. the operation's cumulative good + scrap stays within what the previous operation delivered as
 *    good (the first: the planned quantity), plus the tenant's
 *    `production.over_report_tolerance_percent`; the operation starts (`actualStart`, once) and
 *    completes when it reaches its planned quantity (status COMPLETED, `actualEnd`);
 * 4. good output of the last operation is the order's and the lot's actual quantity; scrap of every
 *    operation is theirs too (the report's lot: the one it names, else the one `assignReportLot`
 *    gave it before it was written);
 * 5. genealogy `WO → OP:<report_no> → LOT` (the OP node is this execution: its operator, station and
 *    times are the report's and its trace event's), a trace event (`trace.event.created`).
 *
 * Any refusal throws, and the report with everything it booked rolls back.
 */
export async function postWorkReport(
  tx: SqlExecutor,
  ctx: RequestContext,
  report: EntityRecord,
  records: RecordChanges,
): Promise<void> {
  const good = Number(report.goodQuantity ?? 0);
  const scrap = Number(report.scrapQuantity ?? 0);
  assertReportShape(report, good, scrap);
  const operations = runtimeOf(ctx.model).entity('wo_operation').entity;
  const store = new RowStore(ctx.tenantId);

  const [operation] = await store.byIds(tx, operations, [report.woOperationId as number], true);
  if (!operation || Number(operation.work_order_id) !== report.workOrderId) {
    throw fieldRule(
      'woOperationId',
      'belongs-to',
      `Operation ${String(report.woOperationId)} is not an operation of work order ${String(report.workOrderId)}`,
    );
  }
  if (operation.status === 'CANCELLED') {
    throw fieldRule('woOperationId', 'state', `Operation ${String(operation.op_name)} is cancelled`);
  }
  const sequence = await operationsInSequence(tx, ctx.model, ctx.tenantId, report.workOrderId);
  const opSeq = Number(operation.op_seq);
  const previous = sequence.filter((op) => Number(op.op_seq) < opSeq).pop();
  const isLast = !sequence.some((op) => Number(op.op_seq) > opSeq);

  const engine = engineContext(ctx);
  const order = await records.changeIn(
    tx,
    'work_order',
    report.workOrderId as number,
    (wo) => {
      if (wo.status !== REPORTING_STATE) throw orderStateError(wo);
      return {
        actualQuantity: sum(wo.actualQuantity, isLast ? good : 0),
        scrapQuantity: sum(wo.scrapQuantity, scrap),
      };
    },
    engine,
  );

  const tolerance = await numberSetting(tx, ctx, SETTINGS.overReportTolerancePercent, 0);
  const delivered = previous ? Number(previous.completed_quantity) : Number(order.plannedQuantity);
  const limit = delivered * (1 + Math.max(0, tolerance) / 100);
  await records.changeIn(
    tx,
    'wo_operation',
    Number(operation.id),
    (op) => {
      const reported = Number(op.completedQuantity ?? 0) + Number(op.rejectedQuantity ?? 0);
      if (reported + good + scrap > limit + EPSILON) {
        const source = previous
          ? `the previous operation delivered ${delivered}`
          : `${delivered} are planned`;
        throw new BusinessRuleError(
          `Over-report on ${String(operation.op_name)}: ${reported} reported + ${good + scrap} exceeds ${limit} (${source}${tolerance > 0 ? `, +${tolerance}%` : ''})`,
          {
            rule: 'over-report',
            limit,
            reported,
            requested: good + scrap,
            errors: [
              {
                field: 'goodQuantity',
                path: '/goodQuantity',
                rule: 'over-report',
                limit: limit - reported,
                message: `good + scrap may be at most ${limit - reported} on this operation`,
              },
            ],
          },
        );
      }
      const completed = reported + good + scrap >= Number(op.plannedQuantity) - EPSILON;
      return {
        completedQuantity: sum(op.completedQuantity, good),
        rejectedQuantity: sum(op.rejectedQuantity, scrap),
        actualStart: op.actualStart ?? report.startTime,
        status: completed ? 'COMPLETED' : 'IN_PROGRESS',
        ...(completed ? { actualEnd: report.endTime } : {}),
      };
    },
    engine,
  );

  const lot = await records.changeIn(
    tx,
    'production_lot',
    lotIdOf(report),
    (row) => {
      if (row.workOrderId !== report.workOrderId) {
        throw fieldRule('lotId', 'belongs-to', `Lot ${String(report.lotId)} is not a lot of this work order`);
      }
      return {
        goodQuantity: sum(row.goodQuantity, isLast ? good : 0),
        scrapQuantity: sum(row.scrapQuantity, scrap),
      };
    },
    engine,
  );

  const reportNo = String(report.reportNo);
  const woNo = String(order.woNo);
  const ref = { refType: 'work_report', refId: reportNo };
  await writeGenealogy(tx, ctx.tenantId, [
    {
      from: nodeKey('WO', woNo),
      to: nodeKey('OP', reportNo),
      relation: 'EXECUTED',
      quantity: good + scrap,
      ...ref,
    },
    {
      from: nodeKey('OP', reportNo),
      to: nodeKey('LOT', String(lot.lotNo)),
      relation: 'PROCESSED',
      quantity: good,
      ...ref,
    },
  ]);
  await writeTraceEvent(tx, ctx, records, {
    eventId: randomUUID(),
    entityType: 'LOT',
    entityId: lot.lotNo,
    action: 'REPORT',
    occurredAt: report.endTime,
    opCode: operation.op_code,
    opName: operation.op_name,
    opStartAt: report.startTime,
    opEndAt: report.endTime,
    operatorId: report.operatorId ?? null,
    workstationId: report.workstationId ?? operation.workstation_id ?? null,
    result: good > 0 ? 'PASS' : 'FAIL',
    refId: reportNo,
    correlationId: woNo,
    data: { woNo, opSeq, goodQuantity: good, scrapQuantity: scrap, lastOperation: isLast },
  });
}

function assertReportShape(report: EntityRecord, good: number, scrap: number): void {
  const errors: FieldError[] = [];
  if (!(good + scrap > 0)) {
    errors.push({
      field: 'goodQuantity',
      path: '/goodQuantity',
      rule: 'positive-total',
      limit: 0,
      message: 'goodQuantity + scrapQuantity must be greater than 0',
    });
  }
  if (Date.parse(String(report.endTime)) < Date.parse(String(report.startTime))) {
    errors.push({
      field: 'endTime',
      path: '/endTime',
      rule: 'after',
      limit: 'startTime',
      message: 'endTime must not be before startTime',
    });
  }
  if (errors.length > 0) throw new ValidationError(errors);
}

function fieldRule(field: string, rule: string, message: string): BusinessRuleError {
  return new BusinessRuleError(message, { rule, errors: [{ field, path: `/${field}`, rule, message }] });
}

/**
 * Completes a report that names no lot with the work order's first lot that is not cancelled, before
 * the report is written: the lot is part of the report's own change (its audit record and
 * `work_report.created` event carry it). Without such a lot the report stays without one and its
 * posting refuses it.
 */
export async function assignReportLot(
  tx: SqlExecutor,
  ctx: RequestContext,
  report: EntityRecord,
): Promise<void> {
  if (report.lotId !== undefined && report.lotId !== null) return;
  const lot = await firstOpenLot(tx, ctx.model, ctx.tenantId, report.workOrderId);
  if (lot) report.lotId = Number(lot.id);
}

/** The report's lot (`assignReportLot` gave it one when the order has any). */
function lotIdOf(report: EntityRecord): number {
  if (typeof report.lotId !== 'number') {
    throw fieldRule('lotId', 'required', 'The work order has no production lot to report into');
  }
  return report.lotId;
}

/** A stored counter plus a delta (the writer rounds it to the column's scale). */
function sum(stored: unknown, delta: number): number {
  return Number(stored ?? 0) + delta;
}

function orderStateError(order: EntityRecord): BusinessRuleError {
  return new BusinessRuleError(
    `Work order ${String(order.woNo)} is ${String(order.status)}: work is reported on an order ${REPORTING_STATE}`,
    {
      rule: 'work-order-state',
      state: order.status ?? null,
      allowedStates: [REPORTING_STATE],
      errors: [
        {
          field: 'workOrderId',
          path: '/workOrderId',
          rule: 'state',
          limit: REPORTING_STATE,
          message: `work order is ${String(order.status)}`,
        },
      ],
    },
  );
}

/** A trace point (docs/traceability.md) through the record-change path (its `trace.event.created` event, audit). */
async function writeTraceEvent(
  tx: SqlExecutor,
  ctx: RequestContext,
  records: RecordChanges,
  body: EntityRecord,
): Promise<void> {
  await records.createIn(tx, 'trace_event', body, engineContext(ctx));
}
