/**
 * The `thresholdAlert` evaluator: the records of an entity declaring `evaluatedBy: thresholdAlert`
 * (the shipped `alert_rule`) are thresholds kept as data — a metric over the rows of an entity
 * changed within a window, compared with a threshold. `metric` is `count` (the rows), `<fn>(<field>)`
 * with fn one of sum, avg, min, max (`avg(yield_rate)`), or a plain numeric field name, which means
 * its average. `condition_filter` selects the rows in the expression language of dashboard
 * conditions (`severity == 'CRITICAL' and status != 'CLOSED'`). The rows are those created or
 * updated within the last `window_minutes` (their `updated_at`). A record is checked when its
 * interval elapses: at the multiples of `check_interval_seconds` since the epoch, on the
 * scheduler's ticks.
 *
 * `group_by` (a field path of the data source, `workstation` or `workstation.line`) computes the
 * metric per value of that field: one alert per value. The groups are the field's domain — the
 * values of an enum, the records of the entity a relation points to — so a group with no rows in
 * the window evaluates too (a count or sum of 0); other fields group by the values found.
 * `group_filter` (with a relation `group_by`) is a condition on the related records, in the same
 * language (`status == 'ACTIVE'`): only the records it selects are groups, so a shut-down line or a
 * blocked supplier raises nothing; rows of other groups, and rows with no related record, are left
 * out of the metric.
 * `recipients` (`{ users, roles }`) are notified on `channels` when an alert is raised;
 * `escalation` (`{ after, users, roles, channels }`) notifies when the alert is still
 * unacknowledged after that time. `auto_resolve` (default on) resolves the open alert when a later
 * check finds the condition no longer true.
 */
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { ApiError } from '../crud/errors';
import { parseListQuery } from '../crud/query-parser';
import type { FieldError } from '../crud/types';
import { convertCondition, type ConvertedCondition } from '../bi/expression-query';
import type { AggregateQuery, MeasureFunction } from '../bi/aggregate-query';
import type { DurationDef } from '../../../metadata/src/types';
import { EVALUATORS } from '../../../metadata/src/evaluators';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { durationMs } from './rule-catalog';
import type { RuleRecord } from './rule-record';

/** The scheduler's tick: the shortest check interval an evaluated record may have. */
export const ALERT_RULES_TICK_SECONDS = 10;
export const ALERT_RULES_CRON = `*/${ALERT_RULES_TICK_SECONDS} * * * * *`;
/** The workflow action that resolves an alert (`alert_event_lifecycle`). */
export const ALERT_RESOLVE_ACTION = 'resolve';

/**
 * The run log's rule name of the scheduled checks of an evaluated entity's records
 * (`evaluate:alert_rule`), and of the escalation timers of the alerts they raise
 * (`escalate:alert_rule`). Rule names are snake_case, so these never collide with a rule's.
 */
export const evaluationJob = (entity: string) => `evaluate:${entity}`;
export const escalationJob = (entity: string) => `escalate:${entity}`;

/** The entities whose records the `thresholdAlert` evaluator checks (declared `evaluatedBy`). */
export function thresholdAlertEntities(model: Model): CompiledEntity[] {
  if (!model.entities.has(EVALUATORS.thresholdAlert.writes)) return [];
  return [...model.entities.values()].filter((entity) => entity.evaluatedBy === 'thresholdAlert');
}

/** The entity and phase a job of an evaluator runs (`evaluate:<entity>`), or null for other jobs. */
export function evaluatorJob(
  model: Model,
  rule: string,
): { entity: CompiledEntity; phase: 'evaluate' | 'escalate' } | null {
  const match = /^(evaluate|escalate):(\w+)$/.exec(rule);
  const entity = match ? model.entities.get(match[2]!) : undefined;
  if (!match || entity?.evaluatedBy !== 'thresholdAlert') return null;
  return { entity, phase: match[1] as 'evaluate' | 'escalate' };
}

/** The alert entity's relation to the evaluated entity (`rule`), as a field and its API property (`ruleId`). */
export function alertLink(model: Model, evaluated: string): { field: string; property: string } | null {
  const alerts = model.entities.get(EVALUATORS.thresholdAlert.writes);
  const field = alerts?.fields.find((f) => f.storage === 'column' && f.relation?.target === evaluated);
  return field ? { field: field.name, property: apiPropertyOf(field) } : null;
}

/** The channels an alert rule may notify on (the notifier's; webhooks are rule actions). */
export const ALERT_CHANNELS = ['in_app', 'email'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

/** Users by id or username, and role codes. */
export interface AlertRecipients {
  users: (string | number)[];
  roles: string[];
}

export interface AlertEscalation extends AlertRecipients {
  afterMs: number;
  /** The time as declared, for the message. */
  after: DurationDef;
  channels: AlertChannel[];
}

/** `group_by`: the metadata path and the aggregate's API path of the grouped field. */
export interface AlertGroupBy {
  path: string;
  apiPath: string;
  /** The entity a relation leaf points to (its value is that record's id), else null. */
  target: string | null;
  /** The values of an enum leaf, else null. */
  values: string[] | null;
  /**
   * `group_filter`: the list filter selecting the groups among the related records (on the target
   * entity), and the same filter on the data source's rows (its fields under the relation's path).
   */
  filter: { target: Record<string, unknown>; rows: Record<string, unknown> } | null;
}

export const ALERT_OPERATORS = ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NE'] as const;
export type AlertOperator = (typeof ALERT_OPERATORS)[number];
const METRIC_FUNCTIONS: readonly MeasureFunction[] = ['sum', 'avg', 'min', 'max'];
const NUMERIC = new Set(['integer', 'decimal']);
/** Groups one check of a grouped rule reads at most. */
export const ALERT_GROUPS_LIMIT = 1000;

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
  groupBy: AlertGroupBy | null;
  channels: AlertChannel[];
  recipients: AlertRecipients;
  escalation: AlertEscalation | null;
  autoResolve: boolean;
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
    const refused = refusedValue(model, entity, condition.filter, rule, 'conditionFilter', filter);
    if (refused) fail('conditionFilter', refused);
  }
  let groupBy: AlertGroupBy | null = null;
  const groupPath = rule.group_by === null ? '' : String(rule.group_by ?? '').trim();
  if (entity && groupPath) {
    groupBy = groupByPath(model, entity, groupPath);
    if (!groupBy) fail('groupBy', `'${groupPath}' is not a field or a path through relations of '${source}'`);
  }
  const groupFilter = rule.group_filter === null ? '' : String(rule.group_filter ?? '').trim();
  if (entity && groupFilter) {
    const target = groupBy?.target ? model.entities.get(groupBy.target) : undefined;
    if (!groupPath) fail('groupFilter', 'A group filter needs a group-by path through a relation');
    else if (!groupBy) {
      // groupBy is already refused.
    } else if (!target)
      fail(
        'groupFilter',
        `A group filter needs a group-by path through a relation; '${groupPath}' is not one`,
      );
    else {
      try {
        const converted = convertCondition(model, target, groupFilter);
        if (converted.compare !== null)
          fail('groupFilter', `'${groupFilter}' compares two fields, which a group filter cannot`);
        else {
          const refused = refusedValue(model, target, converted.filter, rule, 'groupFilter', groupFilter);
          if (refused) fail('groupFilter', refused);
          else if (converted.filter !== null)
            groupBy.filter = { target: converted.filter, rows: underPath(converted.filter, groupBy.apiPath) };
        }
      } catch (error) {
        fail('groupFilter', error instanceof Error ? error.message : String(error));
      }
    }
  }
  const channels = parseChannels(jsonValue(rule.channels), 'channels', fail);
  const recipients = parseRecipients(model, jsonValue(rule.recipients), 'recipients', fail);
  const escalation = parseEscalation(model, jsonValue(rule.escalation), fail);
  if (errors.length > 0 || !entity || !metric) return { errors, checked: null };
  return {
    errors,
    checked: {
      entity,
      metric,
      condition,
      operator,
      threshold,
      groupBy,
      channels,
      recipients,
      escalation,
      autoResolve: rule.auto_resolve !== false && rule.auto_resolve !== 0,
    },
  };
}

type Fail = (field: string, message: string) => void;

/**
 * A converted filter checked as a list request's `filter` on the entity (the list query parser, which
 * converts every value to what its column holds): the refusal naming the rule, the field and the
 * value, or null when the list would take it.
 */
function refusedValue(
  model: Model,
  entity: CompiledEntity,
  filter: Record<string, unknown> | null,
  rule: RuleRecord,
  field: string,
  expression: string,
): string | null {
  if (filter === null) return null;
  try {
    parseListQuery(entity.name, { filter }, model);
    return null;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const first = error.details?.errors?.[0];
    // The parser's pointer (`/filter/and/0/status/eq`) locates the refused value in the filter.
    const value = first ? valueAt({ filter }, first.path) : undefined;
    const code =
      rule.rule_code === undefined || rule.rule_code === null
        ? ''
        : `Alert rule '${String(rule.rule_code)}': `;
    const shown = value === undefined ? '' : ` value ${JSON.stringify(value)} is refused:`;
    return `${code}${field} '${expression}':${shown} ${first?.message ?? error.message}`;
  }
}

/** The value a JSON pointer (`/filter/and/0/status/eq`) points at, or undefined. */
function valueAt(document: unknown, pointer: string): unknown {
  let current = document;
  for (const token of pointer.split('/').slice(1)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

/** A JSON field's value: parsed when it came as text; null when empty. */
function jsonValue(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  if (value.trim() === '') return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** A list filter on a related entity as a filter on the rows, its fields under `path` (`line.status`). */
function underPath(filter: Record<string, unknown>, path: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filter).map(([key, value]) =>
      key === 'and' || key === 'or'
        ? [key, (value as Record<string, unknown>[]).map((part) => underPath(part, path))]
        : [`${path}.${key}`, value],
    ),
  );
}

/** A metadata path (`workstation.line`) of the entity as the aggregate's API path, or null. */
function groupByPath(model: Model, entity: CompiledEntity, path: string): AlertGroupBy | null {
  const segments = path.split('.');
  const api: string[] = [];
  let current: CompiledEntity | undefined = entity;
  for (const [index, segment] of segments.entries()) {
    const field: CompiledField | undefined = current?.fieldsByName.get(segment);
    if (!field || field.storage !== 'column') return null;
    api.push(field.apiName);
    const target: CompiledEntity | undefined = field.relation
      ? model.entities.get(field.relation.target)
      : undefined;
    if (index === segments.length - 1) {
      if (field.type === 'json' || field.type === 'text') return null;
      return {
        path,
        apiPath: api.join('.'),
        target: target?.name ?? null,
        values: field.type === 'enum' ? [...(field.enumValues ?? [])] : null,
        filter: null,
      };
    }
    if (!target) return null;
    current = target;
  }
  return null;
}

/** `["in_app", "email"]`; empty or missing: both. */
function parseChannels(value: unknown, field: string, fail: Fail): AlertChannel[] {
  if (value === null) return [...ALERT_CHANNELS];
  const known = (channel: unknown): channel is AlertChannel =>
    (ALERT_CHANNELS as readonly unknown[]).includes(channel);
  if (!Array.isArray(value) || !value.every(known)) {
    fail(field, `Channels must be a list of ${ALERT_CHANNELS.join(', ')}`);
    return [];
  }
  return value.length === 0 ? [...ALERT_CHANNELS] : [...new Set(value)];
}

/** `{ users: [username | id], roles: [role code] }`; roles must be declared. */
function parseRecipients(model: Model, value: unknown, field: string, fail: Fail): AlertRecipients {
  const none: AlertRecipients = { users: [], roles: [] };
  if (value === null) return none;
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(field, 'Recipients must be an object { users: [username or id], roles: [role code] }');
    return none;
  }
  const { users = [], roles = [] } = value as { users?: unknown; roles?: unknown };
  const isUser = (user: unknown) =>
    (typeof user === 'string' && user.trim() !== '') || (typeof user === 'number' && Number.isInteger(user));
  if (!Array.isArray(users) || !users.every(isUser)) {
    fail(field, `${field}.users must be a list of usernames or user ids`);
    return none;
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    fail(field, `${field}.roles must be a list of role codes`);
    return none;
  }
  const unknown = (roles as string[]).filter((role) => !model.roles.has(role));
  if (unknown.length > 0) fail(field, `${field}.roles: unknown role ${unknown.join(', ')}`);
  return { users: users as (string | number)[], roles: roles as string[] };
}

/** `{ after: { minutes | hours | days }, users, roles, channels? }`. */
function parseEscalation(model: Model, value: unknown, fail: Fail): AlertEscalation | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('escalation', 'Escalation must be an object { after: { minutes }, users, roles, channels }');
    return null;
  }
  const { after, channels, ...rest } = value as { after?: unknown; channels?: unknown };
  const units = ['days', 'hours', 'minutes'] as const;
  const duration =
    after && typeof after === 'object' && !Array.isArray(after) ? (after as DurationDef) : null;
  const valid =
    duration !== null &&
    Object.keys(duration).every((key) => (units as readonly string[]).includes(key)) &&
    units.every(
      (unit) => duration[unit] === undefined || (Number.isInteger(duration[unit]) && duration[unit]! >= 0),
    );
  if (!valid || durationMs(duration) <= 0) {
    fail(
      'escalation',
      'escalation.after must be a positive time such as { "minutes": 30 } (days, hours, minutes)',
    );
    return null;
  }
  const recipients = parseRecipients(model, rest, 'escalation', fail);
  if (recipients.users.length === 0 && recipients.roles.length === 0)
    fail('escalation', 'escalation names no users or roles to notify');
  return {
    ...recipients,
    after: duration,
    afterMs: durationMs(duration),
    channels: parseChannels(channels ?? null, 'escalation', fail),
  };
}

/** The aggregate computing the rule's metric over the rows changed since `since`. */
export function metricQuery(
  rule: CheckedAlertRule,
  since: Date,
  parseList: (raw: Record<string, unknown>) => AggregateQuery['rows'],
): AggregateQuery {
  const window = { updatedAt: { gte: since.toISOString() } };
  const parts = [window, rule.condition.filter, rule.groupBy?.filter?.rows].filter(
    (part): part is Record<string, unknown> => Boolean(part),
  );
  const filter = parts.length === 1 ? window : { and: parts };
  const field = rule.metric.field === null ? null : rule.entity.fieldsByName.get(rule.metric.field)!.apiName;
  return {
    rows: parseList({ filter }),
    groupBy: rule.groupBy ? [{ key: 'group', field: rule.groupBy.apiPath, bucket: null }] : [],
    measures: [{ key: 'value', fn: rule.metric.fn, field, where: null, compare: rule.condition.compare }],
    having: [],
    sort: [],
    limit: rule.groupBy ? ALERT_GROUPS_LIMIT : 1,
    timeZone: 'UTC',
  };
}

/**
 * The groups of one check: every value of the domain (an enum's values, the related records' ids),
 * with the metric of its rows or, without rows in the window, the metric of none — 0 for count and
 * sum, no value for avg, min and max — then the values found outside the domain (an empty relation;
 * not with a group filter, which only related records can pass).
 */
export function groupsOver(
  rule: CheckedAlertRule,
  rows: readonly { group: string | null; value: number | null }[],
  domain: readonly string[] | null,
): { group: string | null; value: number | null }[] {
  if (domain === null) return [...rows];
  const found = new Map(rows.map((row) => [row.group, row.value]));
  const empty = rule.metric.fn === 'count' || rule.metric.fn === 'sum' ? 0 : null;
  const inDomain = new Set(domain);
  return [
    ...domain.map((group) => ({ group, value: found.has(group) ? found.get(group)! : empty })),
    ...rows.filter(
      (row) =>
        (row.group === null && !rule.groupBy?.filter) || (row.group !== null && !inDomain.has(row.group)),
    ),
  ];
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

/**
 * The key an open alert is deduplicated by: the given key (an alert rule's), or the rule and its
 * record; with `per`, the rule (or the given key) and the value of that field path instead.
 */
export function alertDedupKey(d: Record<string, unknown>): string {
  const per = d.per as { path: string; value: string | null } | null | undefined;
  const given = d.dedupKey as string | undefined;
  const scope = given ?? `rule:${String(d.rule)}:${String(d.entity)}`;
  if (per) return `${scope}.${per.path}:${per.value ?? '-'}`.slice(0, 128);
  return given ?? `${scope}:${String(d.recordId ?? '-')}`;
}

/** Refuses an alert rule the evaluator could not run: 422 naming each bad field. */
export class AlertRuleInvalidError extends ApiError {
  constructor(errors: FieldError[]) {
    super('VALIDATION_FAILED', 422, `Invalid alert rule: ${errors.map((e) => e.message).join('; ')}`, {
      errors,
    });
  }
}
