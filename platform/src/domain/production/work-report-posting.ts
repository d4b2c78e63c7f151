import { randomUUID } from 'node:crypto';
import { BusinessRuleError, ValidationError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import type { EntityRecord, FieldError, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { isoToDbDatetime, nowForDb } from '../../data/values';
import { runtimeOf } from '../../kernel/model-runtime';
import { nodeKey, writeGenealogy } from '../../trace/genealogy';
import { numberSetting, SETTINGS } from '../inventory/tenant-settings';
import {
  bookLotOutput,
  bookOperationOutput,
  bookOrderOutput,
  firstOpenLot,
  operationsInSequence,
} from './work-report-store';

/** The work order state in which work is reported. */
const REPORTING_STATE = 'IN_PROGRESS';

/**
 * Books a work report inside its create transaction:
 *
 * 1. the work order must be in progress (checked by the conditional update that also books its
 *    quantities, so a concurrent hold or completion cannot slip between check and booking);
 * 2. the operation belongs to the order and is not cancelled; good + scrap is positive; the report
 *    ends after it starts;
 * 3. the operation's cumulative good + scrap stays within what the previous operation delivered as
 *    good (the first: the planned quantity), plus the tenant's
 *    `production.over_report_tolerance_percent` — one conditional UPDATE, so concurrent reports on
 *    the same operation cannot overshoot together;
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
  const tables = tablesOf(ctx);
  const store = new RowStore(ctx.tenantId);
  const booking = { tenant: ctx.tenantId, actor: ctx.userId, at: nowForDb() };

  const [operation] = await store.byIds(tx, tables.woOperation, [report.woOperationId as number], true);
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

  const orderBooked = await bookOrderOutput(tx, ctx.model, booking, {
    id: report.workOrderId,
    state: REPORTING_STATE,
    actual: isLast ? good : 0,
    scrap,
  });
  const [order] = await store.byIds(tx, tables.workOrder, [report.workOrderId as number], true);
  if (!orderBooked) {
    throw new BusinessRuleError(
      `Work order ${String(order?.wo_no)} is ${String(order?.status)}: work is reported on an order ${REPORTING_STATE}`,
      {
        rule: 'work-order-state',
        state: order?.status ?? null,
        allowedStates: [REPORTING_STATE],
        errors: [
          {
            field: 'workOrderId',
            path: '/workOrderId',
            rule: 'state',
            limit: REPORTING_STATE,
            message: `work order is ${String(order?.status)}`,
          },
        ],
      },
    );
  }

  const tolerance = await numberSetting(tx, ctx, SETTINGS.overReportTolerancePercent, 0);
  const delivered = previous ? Number(previous.completed_quantity) : Number(order!.planned_quantity);
  const limit = delivered * (1 + Math.max(0, tolerance) / 100);
  const startAt = isoToDbDatetime(String(report.startTime));
  const endAt = isoToDbDatetime(String(report.endTime));
  const operationBooked = await bookOperationOutput(tx, ctx.model, booking, {
    id: operation.id,
    good,
    scrap,
    limit,
    startAt,
    endAt,
  });
  if (!operationBooked) {
    const [current] = await store.byIds(tx, tables.woOperation, [Number(operation.id)], true);
    const reported = Number(current?.completed_quantity ?? 0) + Number(current?.rejected_quantity ?? 0);
    const source = previous ? `the previous operation delivered ${delivered}` : `${delivered} are planned`;
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

  const lot = await lotOfReport(tx, ctx, tables, report);
  await bookLotOutput(tx, ctx.model, booking, { id: lot.id, good: isLast ? good : 0, scrap });

  const reportNo = String(report.reportNo);
  const woNo = String(order!.wo_no);
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
      to: nodeKey('LOT', lot.lotNo),
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

function tablesOf(ctx: RequestContext) {
  const runtime = runtimeOf(ctx.model);
  return {
    workOrder: runtime.entity('work_order').entity,
    woOperation: runtime.entity('wo_operation').entity,
    productionLot: runtime.entity('production_lot').entity,
    workReport: runtime.entity('work_report').entity,
  };
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

/** The report's lot, which must be one of the order's. */
async function lotOfReport(
  tx: SqlExecutor,
  ctx: RequestContext,
  tables: ReturnType<typeof tablesOf>,
  report: EntityRecord,
): Promise<{ id: number; lotNo: string }> {
  if (typeof report.lotId !== 'number') {
    throw fieldRule('lotId', 'required', 'The work order has no production lot to report into');
  }
  const [row] = await new RowStore(ctx.tenantId).byIds(tx, tables.productionLot, [report.lotId], true);
  if (!row || Number(row.work_order_id) !== report.workOrderId) {
    throw fieldRule('lotId', 'belongs-to', `Lot ${report.lotId} is not a lot of this work order`);
  }
  return { id: Number(row.id), lotNo: String(row.lot_no) };
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
