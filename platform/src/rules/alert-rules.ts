/**
 * Alert rules kept as data (`alert_rule` records): a metric over the rows of an entity changed
 * within a window, compared with a threshold. `metric` is `count` (the rows), `<fn>(<field>)` with
 * fn one of sum, avg, min, max (`avg(yield_rate)`), or a plain numeric field name, which means its
 * average. `condition_filter` selects the rows in the expression language of dashboard conditions
 * (`severity == 'CRITICAL' and status != 'CLOSED'`). The rows are those created or updated within
 * the last `window_minutes` (their `updated_at`). A rule is checked when its interval elapses: at
 * the multiples of `check_interval_seconds` since the epoch, on the scheduler's ticks.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { ApiError } from '../crud/errors';
import type { FieldError } from '../crud/types';
import { convertCondition, type ConvertedCondition } from '../bi/expression-query';
import type { AggregateQuery, MeasureFunction } from '../bi/aggregate-query';
import type { RuleRecord } from './rule-record';

/** The run log's rule name of the alert rule checks. */
export const ALERT_RULES_JOB = 'alert_rules';
/** The scheduler's tick: the shortest check interval an alert rule may have. */
export const ALERT_RULES_TICK_SECONDS = 10;
export const ALERT_RULES_CRON = `*/${ALERT_RULES_TICK_SECONDS} * * * * *`;

export const ALERT_OPERATORS = ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NE'] as const;
export type AlertOperator = (typeof ALERT_OPERATORS)[number];
const METRIC_FUNCTIONS: readonly MeasureFunction[] = ['sum', 'avg', 'min', 'max'];
const NUMERIC = new Set(['integer', 'decimal']);

export interface AlertMetric {
  fn: MeasureFunction;
  /** Metadata field name; null for count. */
  field: string | null;
}

/** A checked alert rule, ready to evaluate. */
export interface CheckedAlertRule {
  entity: CompiledEntity;
  metric: AlertMetric;
  condition: ConvertedCondition;
  operator: AlertOperator;
  threshold: number;
}

export function parseMetric(metric: string): AlertMetric | null {
  const text = metric.trim();
  if (text === 'count' || text === 'count()') return { fn: 'count', field: null };
  const call = /^(\w+)\(\s*(\w+)\s*\)$/.exec(text);
  if (call) {
    const fn = call[1] as MeasureFunction;
    return METRIC_FUNCTIONS.includes(fn) ? { fn, field: call[2]! } : null;
  }
  return /^\w+$/.test(text) ? { fn: 'avg', field: text } : null;
}

/** An alert rule's fields (metadata names) checked against the Model; the errors name the API field. */
export function checkAlertRule(
  model: Model,
  rule: RuleRecord,
): { errors: FieldError[]; checked: CheckedAlertRule | null } {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) =>
    errors.push({ field, path: `/${field}`, rule: 'alertRule', message });
  const source = String(rule.data_source ?? '');
  const entity = model.entities.get(source);
  if (!entity) fail('dataSource', `Unknown entity '${source}'`);
  const metricText = String(rule.metric ?? '');
  const metric = parseMetric(metricText);
  if (!metric)
    fail('metric', `Metric '${metricText}' is not count, <sum|avg|min|max>(<field>) or a field name`);
  else if (entity && metric.field !== null) {
    const field = entity.fieldsByName.get(metric.field);
    if (!field) fail('metric', `Entity '${source}' has no field '${metric.field}'`);
    else if (!NUMERIC.has(field.type))
      fail('metric', `Field '${metric.field}' of '${source}' is not numeric`);
  }
  const operator = String(rule.operator ?? '') as AlertOperator;
  if (!ALERT_OPERATORS.includes(operator))
    fail('operator', `Operator '${operator}' is not one of ${ALERT_OPERATORS.join(', ')}`);
  const threshold = Number(rule.threshold);
  if (rule.threshold === null || String(rule.threshold).trim() === '' || !Number.isFinite(threshold))
    fail('threshold', `Threshold '${String(rule.threshold ?? '')}' is not a number`);
  let condition: ConvertedCondition = { filter: null, compare: null };
  const filter = rule.condition_filter === null ? '' : String(rule.condition_filter ?? '').trim();
  if (entity && filter) {
    try {
      condition = convertCondition(model, entity, filter);
    } catch (error) {
      fail('conditionFilter', error instanceof Error ? error.message : String(error));
    }
  }
  if (errors.length > 0 || !entity || !metric) return { errors, checked: null };
  return { errors, checked: { entity, metric, condition, operator, threshold } };
}

/** The aggregate computing the rule's metric over the rows changed since `since`. */
export function metricQuery(
  rule: CheckedAlertRule,
  since: Date,
  parseList: (raw: Record<string, unknown>) => AggregateQuery['rows'],
): AggregateQuery {
  const window = { updatedAt: { gte: since.toISOString() } };
  const filter = rule.condition.filter ? { and: [window, rule.condition.filter] } : window;
  const field = rule.metric.field === null ? null : rule.entity.fieldsByName.get(rule.metric.field)!.apiName;
  return {
    rows: parseList({ filter }),
    groupBy: [],
    measures: [{ key: 'value', fn: rule.metric.fn, field, where: null, compare: rule.condition.compare }],
    having: [],
    sort: [],
    limit: 1,
    timeZone: 'UTC',
  };
}

export function compareWithThreshold(operator: AlertOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GT':
      return value > threshold;
    case 'GTE':
      return value >= threshold;
    case 'LT':
      return value < threshold;
    case 'LTE':
      return value <= threshold;
    case 'EQ':
      return value === threshold;
    case 'NE':
      return value !== threshold;
  }
}

/** Whether a rule checked every `intervalSeconds` is due at the tick `atMs` (a multiple of the interval fell in the tick). */
export function alertRuleDue(intervalSeconds: number, atMs: number): boolean {
  const interval = Math.max(ALERT_RULES_TICK_SECONDS, intervalSeconds) * 1000;
  const tick = ALERT_RULES_TICK_SECONDS * 1000;
  return Math.floor(atMs / interval) !== Math.floor((atMs - tick) / interval);
}

/** Refuses an alert rule the evaluator could not run: 422 naming each bad field. */
export class AlertRuleInvalidError extends ApiError {
  constructor(errors: FieldError[]) {
    super('VALIDATION_FAILED', 422, `Invalid alert rule: ${errors.map((e) => e.message).join('; ')}`, {
      errors,
    });
  }
}
