/**
 * Rules on the record-change path. Synchronous rules (`set`, `refuse` on a record trigger) run in
 * the `before` phase, inside the writing transaction. Asynchronous rules, timers and rules on the
 * events a change emits are queued in the `inTransaction` phase as `auto_job` rows of the same
 * transaction: they exist exactly when the change committed, and the runner takes them from there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompiledEntity } from '../../../metadata/src/model';
import type { RuleDef } from '../../../metadata/src/types';
import { BusinessRuleError } from '../crud/errors';
import type { HookRegistry, TransitionChange, WriteAction } from '../crud/hooks';
import type { EntityRecord, RequestContext } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import { NotificationStore } from '../notify/notification-store';
import type { FieldError } from '../crud/types';
import { EVALUATORS } from '../../../metadata/src/evaluators';
import {
  AlertRuleInvalidError,
  alertLink,
  checkAlertRule,
  escalationJob,
  thresholdAlertEntities,
  type CheckedAlertRule,
} from './alert-rules';
import { durationMs, ruleCatalog, type CompiledRule } from './rule-catalog';
import type { JobPayload, JobStore } from './job-store';
import { WorkingTimeCache } from './working-time-cache';
import { workingTimeAhead, workingValues } from './working-values';
import { holds, readThrough, resolveValues, toApi, toMetadata, type RuleRecord } from './rule-record';

/** How many rules may lead one to the next before the chain is cut. */
export const MAX_RULE_DEPTH = 8;

/** The chain of rule runs the current code runs inside (set by the runner around a job's actions). */
export const ruleChain = new AsyncLocalStorage<string[]>();

/** `<rule>:<entity>:<id>`: a rule may act on a record once per chain; a second time is a cycle. */
export function chainLink(rule: string, entity: string, recordId: number | null): string {
  return `${rule}:${entity}:${recordId ?? '-'}`;
}

/** Why a run may not be queued at the end of this chain (too deep, or a cycle); null when it may. */
export function chainProblem(chain: readonly string[], link: string): string | null {
  if (chain.length >= MAX_RULE_DEPTH)
    return `rule chain deeper than ${MAX_RULE_DEPTH}: ${[...chain, link].join(' → ')}`;
  if (chain.includes(link)) return `rule cycle: ${[...chain, link].join(' → ')}`;
  return null;
}

export interface Change {
  action: WriteAction;
  transition?: TransitionChange;
  previous: RuleRecord | null;
  record: RuleRecord;
}

const EVENT_KEYS: Partial<Record<WriteAction, 'created' | 'updated' | 'deleted'>> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
};

function same(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null) || String(a ?? '') === String(b ?? '');
}

/** Whether a record trigger matches the change (timer, schedule and event triggers never do here). */
export function triggerMatches(def: RuleDef, change: Change): boolean {
  const trigger = def.trigger;
  const before = change.previous ?? {};
  switch (trigger.on) {
    case 'created':
      return change.action === 'create';
    case 'deleted':
      return change.action === 'delete';
    case 'updated':
      return (
        change.action === 'update' &&
        (!trigger.fields?.length ||
          trigger.fields.some((field) => !same(before[field], change.record[field])))
      );
    case 'changed': {
      if (change.action === 'delete' || change.action === 'restore') return false;
      const from = before[trigger.field] ?? null;
      const to = change.record[trigger.field] ?? null;
      if (same(from, to)) return false;
      if (trigger.from !== undefined && !same(from, trigger.from)) return false;
      return trigger.to === undefined || same(to, trigger.to);
    }
    case 'transition':
      return (
        change.action === 'transition' &&
        !!change.transition &&
        (!trigger.action || trigger.action === change.transition.action) &&
        (!trigger.to || trigger.to === change.transition.to)
      );
    default:
      return false;
  }
}

function stateFieldOf(ctx: RequestContext, entity: string): string {
  const name = ctx.model.entities.get(entity)?.workflow;
  return (name && ctx.model.workflows.get(name)?.field) ?? 'status';
}

function refusal(def: RuleDef, message: { en: string; zh: string }): BusinessRuleError {
  return new BusinessRuleError(message.en, { rule: def.rule, i18n: message });
}

export class RuleHooks {
  constructor(
    private readonly jobs: JobStore,
    /** Wakes the runners once a transaction that queued jobs committed: the earliest due time. */
    private readonly onQueued: (dueMs: number) => void,
    private readonly notifications = new NotificationStore(),
    /** The tenants' working time, kept for synchronous rules and the runner's runs alike. */
    readonly workingTime = new WorkingTimeCache(),
  ) {}

  register(hooks: HookRegistry): void {
    this.workingTime.register(hooks);
    // Records an evaluator runs are checked when written, so that their evaluation on a schedule cannot fail on them.
    hooks.on('before', { entity: '*', action: '*' }, async (args) => {
      if (args.action !== 'create' && args.action !== 'update') return;
      const entity = args.ctx.model.entities.get(args.entity)!;
      if (entity.evaluatedBy !== 'thresholdAlert') return;
      const rule = toMetadata(entity, { ...(args.current ?? {}), ...args.body });
      const { errors, checked } = checkAlertRule(args.ctx.model, rule);
      if (checked) errors.push(...(await this.unknownUsers(args.tx, args.ctx, checked)));
      if (errors.length > 0) throw new AlertRuleInvalidError(errors);
    });
    // The escalation timer of an alert raised by an evaluated record runs while the alert is ACTIVE:
    // leaving ACTIVE (acknowledged, resolved, suppressed) or a delete cancels it; coming back to
    // ACTIVE (reactivated) starts it again, for the record's escalation time.
    hooks.on('inTransaction', { entity: EVALUATORS.thresholdAlert.writes, action: '*' }, async (args) => {
      const evaluated = thresholdAlertEntities(args.ctx.model);
      if (evaluated.length === 0 || !args.previous) return;
      const field = stateFieldOf(args.ctx, args.entity);
      const entity = args.ctx.model.entities.get(args.entity)!;
      const was = toMetadata(entity, args.previous)[field];
      const record = args.action === 'delete' ? null : toMetadata(entity, args.record);
      const is = record ? record[field] : null;
      const id = Number(args.record.id ?? args.previous.id);
      if (same(was, 'ACTIVE') && !same(is, 'ACTIVE')) {
        for (const source of evaluated)
          await this.jobs.cancelTimers(
            args.tx,
            args.ctx.tenantId,
            args.entity,
            id,
            escalationJob(source.name),
          );
        return;
      }
      if (!record || same(was, 'ACTIVE') || !same(is, 'ACTIVE')) return;
      for (const source of evaluated) {
        const link = alertLink(args.ctx.model, source.name);
        if (!link || record[link.field] === null || record[link.field] === undefined) continue;
        await readThrough(args.tx, args.ctx.model, args.ctx.tenantId, entity, record, [[link.field, 'id']]);
        const linked = record[link.field];
        if (!linked || typeof linked !== 'object') continue;
        const escalation = checkAlertRule(args.ctx.model, linked as RuleRecord).checked?.escalation;
        if (escalation) await this.startEscalation(args.tx, args.ctx, source.name, id, escalation.afterMs);
      }
    });
    hooks.on('before', { entity: '*', action: '*' }, async (args) => {
      const rules = ruleCatalog(args.ctx.model)
        .byEntity.get(args.entity)
        ?.filter((rule) => rule.synchronous);
      if (!rules?.length || args.action === 'delete' || args.action === 'restore') return;
      const entity = args.ctx.model.entities.get(args.entity)!;
      const previous = args.current ? toMetadata(entity, args.current) : null;
      const change: Change = {
        action: args.action,
        transition: args.transition,
        previous,
        record: { ...(previous ?? {}), ...toMetadata(entity, args.body) },
      };
      for (const rule of rules) {
        if (!triggerMatches(rule.def, change)) continue;
        await this.applySynchronous(args.tx, args.ctx, entity, rule, change, args.body);
      }
    });
    hooks.on('inTransaction', { entity: '*', action: '*' }, async (args) => {
      const catalog = ruleCatalog(args.ctx.model);
      const entity = args.ctx.model.entities.get(args.entity)!;
      // Synchronous rules ran in `before`: timers and asynchronous rules are queued here, and a
      // change of an entity with neither (nor rules on its events) builds no rule record.
      const rules = (catalog.byEntity.get(args.entity) ?? []).filter((rule) => !rule.synchronous);
      const events = this.eventsOf(entity, args.action, args.transition);
      const byEvent = events.flatMap((event) =>
        (catalog.byEvent.get(event) ?? []).map((rule) => ({ rule, event })),
      );
      if (rules.length === 0 && byEvent.length === 0) return;
      const change: Change = {
        action: args.action,
        transition: args.transition,
        previous: args.previous ? toMetadata(entity, args.previous) : null,
        record: toMetadata(entity, args.record),
      };
      const recordId = Number(args.record.id ?? args.previous?.id);
      let earliest = Infinity;
      const queued = (due: number | null) => {
        if (due !== null) earliest = Math.min(earliest, due);
      };
      for (const rule of rules) {
        if (rule.def.trigger.on === 'timer') {
          queued(await this.scheduleTimer(args.tx, args.ctx, rule, change, recordId));
          continue;
        }
        if (!triggerMatches(rule.def, change)) continue;
        queued(
          await this.queue(args.tx, args.ctx, rule.def, recordId, this.describe(change), change.previous),
        );
      }
      for (const { rule, event } of byEvent) {
        if (rule.def.entity !== args.entity) continue;
        queued(await this.queue(args.tx, args.ctx, rule.def, recordId, event, change.previous));
      }
      if (earliest !== Infinity) this.announce(args.tx, earliest);
    });
  }

  /** The users an alert rule names (recipients, escalation) that are not users of the tenant. */
  private async unknownUsers(
    tx: SqlExecutor,
    ctx: RequestContext,
    rule: CheckedAlertRule,
  ): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const lists: [string, readonly (string | number)[]][] = [
      ['recipients', rule.recipients.users],
      ['escalation', rule.escalation?.users ?? []],
    ];
    for (const [field, users] of lists) {
      const found = await this.notifications.userIds(tx, ctx.model, ctx.tenantId, users);
      const missing = users.filter((user) => !found.some((f) => f.ref === user));
      if (missing.length > 0)
        errors.push({
          field,
          path: `/${field}`,
          rule: 'alertRule',
          message: `${field}.users: no user ${missing.map(String).join(', ')}`,
        });
    }
    return errors;
  }

  /**
   * Starts the escalation timer of an alert raised by a record of `evaluated`, due `afterMs` from
   * now (announced to the runners on commit); returns its due time.
   */
  async startEscalation(
    tx: SqlExecutor,
    ctx: RequestContext,
    evaluated: string,
    alertId: number,
    afterMs: number,
  ): Promise<number> {
    const dueMs = Date.now() + afterMs;
    await this.jobs.insert(tx, {
      tenantId: ctx.tenantId,
      kind: 'timer',
      rule: escalationJob(evaluated),
      entity: EVALUATORS.thresholdAlert.writes,
      recordId: alertId,
      triggerEvent: 'timer:ACTIVE',
      payload: { actorId: null, chain: [] },
      dueMs,
      maxAttempts: 3,
    });
    this.announce(tx, dueMs);
    return dueMs;
  }

  /** Wakes the runners for a job due at `dueMs` once `tx` committed. */
  announce(tx: SqlExecutor, dueMs: number): void {
    tx.afterCommit(() => this.onQueued(dueMs));
  }

  /**
   * Queues a run of an asynchronous rule, or a SKIPPED log entry when the chain is too deep or
   * loops; the run's due time, null when it was logged as skipped.
   */
  async queue(
    tx: SqlExecutor,
    ctx: RequestContext,
    def: RuleDef,
    recordId: number | null,
    triggerEvent: string,
    previous: RuleRecord | null,
    kind: 'rule' | 'timer' = 'rule',
    dueMs = Date.now(),
  ): Promise<number | null> {
    const chain = ruleChain.getStore() ?? [];
    const problem = chainProblem(chain, chainLink(def.rule, def.entity, recordId));
    const payload: JobPayload = { previous, actorId: ctx.userId, chain };
    await this.jobs.insert(tx, {
      tenantId: ctx.tenantId,
      kind,
      rule: def.rule,
      entity: def.entity,
      recordId,
      triggerEvent,
      payload,
      dueMs,
      maxAttempts: def.attempts ?? 3,
      ...(problem ? { status: 'SKIPPED' as const, lastError: problem } : {}),
    });
    return problem ? null : dueMs;
  }

  /** Starts, restarts or cancels the rule's timer on the record as the change moves its base. */
  private async scheduleTimer(
    tx: SqlExecutor,
    ctx: RequestContext,
    rule: CompiledRule,
    change: Change,
    recordId: number,
  ): Promise<number | null> {
    const trigger = rule.def.trigger;
    if (trigger.on !== 'timer') return null;
    const cancel = () => this.jobs.cancelTimers(tx, ctx.tenantId, rule.def.entity, recordId, rule.def.rule);
    if (change.action === 'delete') {
      await cancel();
      return null;
    }
    let baseMs: number | null = null;
    if (trigger.state) {
      const field = stateFieldOf(ctx, rule.def.entity);
      const was = change.previous?.[field];
      const is = change.record[field];
      if (same(was, is) && change.previous) return null;
      if (change.previous && same(was, trigger.state)) await cancel();
      if (same(is, trigger.state)) baseMs = Date.now();
    } else if (trigger.since) {
      const was = change.previous?.[trigger.since];
      const is = change.record[trigger.since];
      if (change.previous && same(was, is)) return null;
      await cancel();
      const time = is === null || is === undefined ? NaN : new Date(String(is)).getTime();
      if (!Number.isNaN(time)) baseMs = time;
    }
    if (baseMs === null) return null;
    return this.queue(
      tx,
      ctx,
      rule.def,
      recordId,
      `timer:${trigger.state ?? trigger.since}`,
      change.previous,
      'timer',
      baseMs + durationMs(trigger.after),
    );
  }

  private async applySynchronous(
    tx: SqlExecutor,
    ctx: RequestContext,
    entity: CompiledEntity,
    rule: CompiledRule,
    change: Change,
    body: EntityRecord,
  ): Promise<void> {
    const ahead = workingTimeAhead(tx, ctx, rule.def, this.workingTime);
    const record = await readThrough(
      tx,
      ctx.model,
      ctx.tenantId,
      entity,
      { ...change.record, $previous: change.previous },
      rule.paths,
      true,
    );
    Object.assign(record, await workingValues(tx, ctx, rule.def, record, ahead, this.workingTime));
    if (!holds(rule.when, record)) return;
    for (const action of rule.def.actions) {
      if ('refuse' in action) throw refusal(rule.def, action.refuse);
      if ('set' in action) {
        const values = resolveValues(action.set, { record, actorId: ctx.userId, now: new Date() });
        Object.assign(body, toApi(entity, values));
        Object.assign(record, values);
      }
    }
  }

  private eventsOf(entity: CompiledEntity, action: WriteAction, transition?: TransitionChange): string[] {
    if (action === 'transition') return [...(transition?.events ?? [])];
    const key = EVENT_KEYS[action];
    return key ? [entity.events[key]] : [];
  }

  private describe(change: Change): string {
    return change.action === 'transition' && change.transition
      ? `transition:${change.transition.action}`
      : (EVENT_KEYS[change.action] ?? change.action);
  }
}
