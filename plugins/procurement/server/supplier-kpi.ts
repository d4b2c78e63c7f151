import type { EntityRecord, PluginApi, RequestContext } from '../../../platform/src/plugins/plugin-api';
import { num, round } from './records';

export interface SupplierKpi {
  supplierId: number;
  from: string;
  to: string;
  /** Purchase receipts received in the period. */
  deliveries: number;
  onTimeDeliveries: number;
  /** On-time receipts ÷ receipts with a promised or required date × 100; null without any. */
  onTimeRate: number | null;
  /** Receipts whose IQC is decided (PASS, FAIL or SPECIAL). */
  inspectedLots: number;
  passedLots: number;
  /** Lots passed at first inspection ÷ inspected lots × 100 (a concession is not a pass). */
  passRate: number | null;
  /** Quantity on accepted or rejected receipts. */
  receivedQuantity: number;
  rejectedQuantity: number;
  /** Rejected ÷ received quantity × 1 000 000; null when nothing was decided. */
  qualityPpm: number | null;
}

const RECEIVED_STATES = 'RECEIVED,INSPECTED,ACCEPTED,REJECTED';
const DECIDED_RECEIPTS = new Set(['ACCEPTED', 'REJECTED']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD = /^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$/;
/** Weights of the overall supplier score (quality, delivery, service, cost). */
const SCORE_WEIGHTS: readonly [field: string, weight: number][] = [
  ['qualityScore', 40],
  ['deliveryScore', 30],
  ['serviceScore', 15],
  ['costScore', 15],
];
const RATINGS: readonly [minimum: number, rating: string][] = [
  [90, 'A'],
  [80, 'B'],
  [70, 'C'],
  [60, 'D'],
];

const percent = (part: number, whole: number): number | null =>
  whole > 0 ? round((part / whole) * 100, 2) : null;

/** Supplier KPIs over receipts dated from `from` to `to` (inclusive), from receipts and their IQC results. */
export async function supplierKpi(
  api: PluginApi,
  ctx: RequestContext,
  supplierId: number,
  from: string,
  to: string,
): Promise<SupplierKpi> {
  const receipts = await api.entities.listAll(
    'goods_receipt',
    {
      supplierId,
      receiptType: 'PURCHASE',
      grnDate: { between: `${from},${to}` },
      status: { in: RECEIVED_STATES },
    },
    ctx,
  );
  const dated = receipts.filter((r) => typeof r.onTime === 'boolean');
  const onTimeDeliveries = dated.filter((r) => r.onTime === true).length;

  const inspectionIds = receipts
    .map((r) => r.iqcInspectionId)
    .filter((id): id is number => typeof id === 'number');
  const inspections = inspectionIds.length
    ? await api.entities.listAll(
        'inspection',
        { id: { in: inspectionIds.join(',') }, result: { in: 'PASS,FAIL,SPECIAL' } },
        ctx,
      )
    : [];
  const passedLots = inspections.filter((i) => i.result === 'PASS').length;

  const decided = receipts.filter((r) => DECIDED_RECEIPTS.has(String(r.status))).map((r) => Number(r.id));
  const lines: EntityRecord[] = decided.length
    ? await api.entities.listAll('goods_receipt_line', { goodsReceiptId: { in: decided.join(',') } }, ctx)
    : [];
  const receivedQuantity = round(
    lines.reduce((sum, l) => sum + num(l.quantity), 0),
    4,
  );
  const rejectedQuantity = round(
    lines.reduce((sum, l) => sum + num(l.rejectedQuantity), 0),
    4,
  );

  return {
    supplierId,
    from,
    to,
    deliveries: receipts.length,
    onTimeDeliveries,
    onTimeRate: percent(onTimeDeliveries, dated.length),
    inspectedLots: inspections.length,
    passedLots,
    passRate: percent(passedLots, inspections.length),
    receivedQuantity,
    rejectedQuantity,
    qualityPpm: receivedQuantity > 0 ? round((rejectedQuantity / receivedQuantity) * 1_000_000, 2) : null,
  };
}

/** First and last day of an evaluation period (`2026-03` or `2026-Q1`). */
export function periodRange(period: string): { from: string; to: string } | null {
  const match = PERIOD.exec(period);
  if (!match) return null;
  const year = Number(match[1]);
  const firstMonth = match[2] ? Number(match[2]) : (Number(match[3]) - 1) * 3 + 1;
  const lastMonth = match[2] ? firstMonth : firstMonth + 2;
  const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return { from: `${year}-${pad(firstMonth)}-01`, to: `${year}-${pad(lastMonth)}-${pad(lastDay)}` };
}

/** Weighted overall score of the scores given (weights renormalised over them) and its A–E rating. */
export function overallScore(scores: EntityRecord): { overallScore: number; rating: string } | null {
  const given = SCORE_WEIGHTS.filter(([field]) => typeof scores[field] === 'number');
  if (given.length === 0) return null;
  const weight = given.reduce((sum, [, w]) => sum + w, 0);
  const overall = round(given.reduce((sum, [field, w]) => sum + num(scores[field]) * w, 0) / weight, 2);
  const rating = RATINGS.find(([minimum]) => overall >= minimum)?.[1] ?? 'E';
  return { overallScore: overall, rating };
}

/**
 * `GET /api/plugins/procurement/suppliers/:id/kpi?from=YYYY-MM-DD&to=YYYY-MM-DD`, and supplier
 * evaluations filled from the same KPIs for their period: the measured fields are always computed,
 * the quality and delivery scores default to the pass and on-time rates, the overall score and
 * rating follow the scores.
 */
export function registerSupplierKpis(api: PluginApi): void {
  api.routes.get('/suppliers/:id/kpi', async ({ params, query, ctx }) => {
    const errors = (['from', 'to'] as const)
      .filter((key) => typeof query[key] !== 'string' || !DATE.test(String(query[key])))
      .map((key) => ({
        field: key,
        path: `/${key}`,
        rule: 'format',
        message: `${key} must be a date YYYY-MM-DD`,
      }));
    if (errors.length > 0) throw api.errors.validation(errors);
    const supplier = await api.entities.get('supplier_master', Number(params.id), ctx);
    return supplierKpi(api, ctx, Number(supplier.id), String(query.from), String(query.to));
  });

  api.hooks.beforeWrite(
    { entity: 'supplier_evaluation', action: '*' },
    async ({ action, body, current, ctx }) => {
      if (action !== 'create' && action !== 'update') return;
      const evaluation = { ...(current ?? {}), ...body };
      const range = periodRange(String(evaluation.period));
      if (!range || typeof evaluation.supplierId !== 'number') return;
      const kpi = await supplierKpi(api, ctx, evaluation.supplierId, range.from, range.to);
      if (!('deliveries' in body) && action === 'create') body.deliveries = kpi.deliveries;
      Object.assign(body, {
        onTimeDeliveries: kpi.onTimeDeliveries,
        onTimeRate: kpi.onTimeRate,
        inspectedLots: kpi.inspectedLots,
        passedLots: kpi.passedLots,
        passRate: kpi.passRate,
        receivedQuantity: kpi.receivedQuantity,
        rejectedQuantity: kpi.rejectedQuantity,
        qualityPpm: kpi.qualityPpm,
      });
      if (evaluation.qualityScore == null && kpi.passRate !== null) body.qualityScore = kpi.passRate;
      if (evaluation.deliveryScore == null && kpi.onTimeRate !== null) body.deliveryScore = kpi.onTimeRate;
      const overall = overallScore({ ...evaluation, ...body });
      if (overall) Object.assign(body, overall);
    },
  );
}
