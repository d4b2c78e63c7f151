/**
 * Runs the queued jobs of asynchronous rules, timers and schedules, in this process or under
 * `mes worker`, with any number of instances on one database. A runner claims due jobs in batches
 * (a lease each) and runs several at once. A run reads the record and evaluates the condition in the
 * transaction of its first action, then applies the actions one by one, each in a transaction that
 * holds the job's lease from its first statement on and also advances the job's step (the last one
 * also finishes the job, with the COMMIT): an action's effect commits exactly when its step does, so
 * a retry (after an error, or after the lease of a dead runner ran
 * out) resumes after the last applied action and never applies one twice. A step that lost an
 * optimistic-lock race with another writer is run again at once on fresh data. Failures back off
 * and are dead-lettered after the rule's attempts; every run is logged with its trigger, status,
 * error and duration.
 *
 * An idle runner sleeps until the earliest pending job falls due, or until a commit announces new
 * jobs: in this process directly, on other instances through the signal (Redis pub/sub); `pollMs`
 * only bounds the sleep, for instances that share a database without a signal.
 */
import { Cron } from 'croner';
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { DurationDef, I18nText, RuleAction, RuleMeasureDef } from '../../../metadata/src/types';
import { evaluateCondition, parseExpression } from '../../../metadata/src/expression';
import type { AggregateEngine } from '../bi/aggregate-engine';
import type { PlannedAction } from '../contracts/automation';
import type { CurrentRecord, EntityService } from '../crud/entity.service';
import { ConflictError, NotFoundError } from '../crud/errors';
import type { EntityRecord, RequestContext } from '../crud/types';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { postWebhook } from '../events/webhook-request';
import type { WebhookTargetPolicy } from '../events/webhook-targets';
import type { ModelRegistry } from '../kernel/model-registry';
import type { Notifier, NotifyResult } from '../notify/notifier';
import type { ActionBody, WorkflowService } from '../workflow/workflow.service';
import type { WorkflowActor } from '../workflow/actor';
import {
  ALERT_RESOLVE_ACTION,
  ALERT_RULES_CRON,
  alertDedupKey,
  alertLink,
  alertRuleDue,
  checkAlertRule,
  compareWithThreshold,
  escalationJob,
  evaluationJob,
  evaluatorJob,
  groupsOver,
  metricQuery,
  thresholdAlertEntities,
  type AlertChannel,
  type CheckedAlertRule,
} from './alert-rules';
import { chainLink, ruleChain, type RuleHooks } from './register-rule-hooks';
import { durationMs, ruleCatalog, type CompiledRule } from './rule-catalog';
import { JobStore, type JobRow } from './job-store';
import {
  fillTemplate,
  holds,
  readColumns,
  readThrough,
  resolveValues,
  toApi,
  toMetadata,
  type RuleRecord,
} from './rule-record';
import { workingValues } from './working-values';

export interface RuleRunnerOptions {
  /**
   * Longest idle sleep before the runner looks for due jobs again although nothing announced any.
   * Default 500 ms; with a cross-instance signal (Redis) 5 s.
   */
  pollMs?: number;
  /** How long a claim holds before another runner may take the job over. Default 60 s. */
  leaseMs?: number;
  /** Jobs claimed by one round(). Default 20. */
  batch?: number;
  /** Jobs a started runner runs at once. Default 4 on MySQL/MariaDB, 1 on SQLite (one writer). */
  concurrency?: number;
  /** First retry delay, doubling per attempt. Default 1 s. */
  retryBaseMs?: number;
  onError?: (error: unknown) => void;
}

export interface RuleRunnerDeps {
  database: EngineDatabase;
  records: EntityService;
  workflows: WorkflowService;
  registry: ModelRegistry;
  notifier: Notifier;
  hooks: RuleHooks;
  webhookTargets: WebhookTargetPolicy;
  /** Tenants schedules run for. */
  tenants: () => Promise<string[]>;
  /** Computes the metrics of alert rules. */
  aggregates: AggregateEngine;
}

/** What an evaluation found: whether the condition holds, the record and the measures it read. */
export interface Evaluation {
  holds: boolean;
  record: RuleRecord | null;
  measures: Record<string, number>;
  /** Related records the rule sets, as read for their update (by relation field name). */
  targets?: ReadonlyMap<string, CurrentRecord & { entity: string }>;
}

/** What a test run would do: each action with the values it would write or send. */

const SCHEDULED_RECORDS_LIMIT = 500;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** A step that lost an optimistic-lock race is run again at once, up to this many times in all. */
const STEP_ATTEMPTS = 8;
/** How soon an idle runner looks again when due jobs were held by other runners' claims. */
const CONTENDED_MS = 20;

class LeaseLost extends Error {
  constructor(job: JobRow) {
    super(`job ${job.id} was taken over by another runner`);
  }
}

/**
 * The engine acting for a rule: may fire any transition the rule names; for the user whose change
 * started the chain, or for no user (schedules, alert rules: `$user` is then null).
 */
function engineActor(userId: string | null, roles: readonly string[]): WorkflowActor {
  return { userId: userId ?? 'automation', engine: userId === null, roles, hasPermission: () => true };
}

export class RuleRunner {
  readonly jobs = new JobStore();
  private readonly options: Required<Omit<RuleRunnerOptions, 'onError' | 'pollMs'>> & { pollMs: number };
  private readonly onError: (error: unknown) => void;
  private scheduleTimers: Cron[] = [];
  /** Runs in flight in the started loop. */
  private readonly inflight = new Set<Promise<void>>();
  /** Jobs the started loop claimed that wait for a slot, earliest due first. */
  private readonly waiting: JobRow[] = [];
  private pump: Promise<void> | null = null;
  private stopping = false;
  /** Set by notify(): due work may exist that the loop has not looked for yet. */
  private signalled = false;
  private wake: (() => void) | null = null;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeAtMs = Infinity;
  /** The earliest due time announced while the runner was not asleep (it may not have read it yet). */
  private announcedMs = Infinity;

  constructor(
    readonly deps: RuleRunnerDeps,
    options: RuleRunnerOptions = {},
  ) {
    const serial = deps.database.dialect.serialTransactions;
    this.options = {
      pollMs: options.pollMs ?? 500,
      leaseMs: options.leaseMs ?? 60_000,
      batch: options.batch ?? 20,
      concurrency: Math.max(1, options.concurrency ?? (serial ? 1 : 4)),
      retryBaseMs: options.retryBaseMs ?? 1000,
    };
    this.onError = options.onError ?? (() => undefined);
  }

  /** Statements outside any transaction (the run log). */
  sql(): SqlExecutor {
    return this.deps.database.executor();
  }

  /** Runs `work` in a transaction that is always rolled back: test runs can write nothing. */
  async readOnly<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let result: T | undefined;
    const rollback = new Error('read-only');
    try {
      await this.deps.database.transaction(async (tx) => {
        result = await work(tx);
        throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
    return result as T;
  }

  start(): void {
    if (this.pump) return;
    this.stopping = false;
    this.signalled = true;
    this.pump = this.loop();
    this.startSchedules();
  }

  /**
   * New jobs were queued: due at `dueMs` (default now). A due job wakes an idle runner at once; a
   * later one moves its alarm earlier when it would otherwise sleep past it.
   */
  notify(dueMs?: number): void {
    if (dueMs === undefined || dueMs <= Date.now()) {
      this.signalled = true;
      this.wake?.();
      return;
    }
    if (!this.wake) this.announcedMs = Math.min(this.announcedMs, dueMs);
    else if (dueMs < this.wakeAtMs) this.alarm(dueMs);
  }

  /** Finishes the runs in flight and stops. */
  async stop(): Promise<void> {
    for (const timer of this.scheduleTimers) timer.stop();
    this.scheduleTimers = [];
    this.stopping = true;
    this.wake?.();
    await this.pump;
    this.pump = null;
  }

  /**
   * Claims one batch of due jobs and runs it to the end (the configured number at once); true when a
   * full batch was due (more may be waiting). Tests and benchmarks drive a stopped runner with it.
   */
  async round(): Promise<boolean> {
    const jobs = await this.jobs.claimBatch(
      this.deps.database,
      Date.now(),
      this.options.batch,
      this.options.leaseMs,
    );
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await this.run(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, jobs.length) }, worker));
    return jobs.length >= this.options.batch;
  }

  /**
   * The started runner: keeps up to `concurrency` runs in flight and up to as many claimed jobs
   * waiting for a slot, claiming again (a batch of at least `concurrency`) once the waiting ones
   * have started while due jobs remain, and sleeps when none are due. Claiming a round ahead makes
   * the claims (each a locking read of the due index and a commit) fewer without running more at
   * once; on stop the claimed jobs still waiting run too, as their leases hold them from others.
   */
  private async loop(): Promise<void> {
    const slots = this.options.concurrency;
    let more = true;
    while (!this.stopping) {
      this.startWaiting();
      const room = 2 * slots - this.inflight.size - this.waiting.length;
      if ((more || this.signalled) && room >= slots) {
        this.signalled = false;
        let jobs: JobRow[] = [];
        try {
          jobs = await this.jobs.claimBatch(this.deps.database, Date.now(), room, this.options.leaseMs);
        } catch (error) {
          this.onError(error);
        }
        this.waiting.push(...jobs);
        more = jobs.length === room;
        if (more) continue;
        this.startWaiting();
      }
      if (more || this.waiting.length > 0 || (this.signalled && this.inflight.size > 0)) {
        // Due jobs remain (claimed, or announced): wait for a slot.
        await Promise.race([...this.inflight, this.sleep(Infinity)]);
        this.wake?.();
        continue;
      }
      await this.idle();
      more = true;
    }
    while (this.waiting.length > 0 || this.inflight.size > 0) {
      this.startWaiting();
      await Promise.race(this.inflight);
    }
  }

  /** Starts claimed jobs while slots are free. */
  private startWaiting(): void {
    while (this.waiting.length > 0 && this.inflight.size < this.options.concurrency)
      this.track(this.waiting.shift()!);
  }

  private track(job: JobRow): void {
    const running: Promise<void> = this.run(job)
      .catch(this.onError)
      .finally(() => this.inflight.delete(running));
    this.inflight.add(running);
  }

  /** Sleeps until the earliest pending job is due, a notify(), or `pollMs` at most. */
  private async idle(): Promise<void> {
    let until = Date.now() + this.options.pollMs;
    try {
      const due = await this.jobs.nextDue(this.deps.database.executor());
      // Due but not claimed: held by another runner's claim in flight; look again shortly.
      if (due !== null) until = Math.min(until, Math.max(due, Date.now() + CONTENDED_MS));
    } catch (error) {
      this.onError(error);
    }
    // Announcements heard while awake, the query included: its read may predate their commit.
    until = Math.min(until, this.announcedMs);
    this.announcedMs = Infinity;
    if (this.signalled || this.stopping) return;
    await this.sleep(until);
  }

  /**
   * Resolves at `untilMs`, on notify() or stop(), or when a run in flight finishes. Woken before
   * its alarm, the runner keeps the alarm's time as announced, so that a later due time announced
   * during this sleep still bounds the next one.
   */
  private sleep(untilMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.wakeAtMs > Date.now()) this.announcedMs = Math.min(this.announcedMs, this.wakeAtMs);
        if (this.wakeTimer) clearTimeout(this.wakeTimer);
        this.wakeTimer = null;
        this.wakeAtMs = Infinity;
        this.wake = null;
        resolve();
      };
      if (Number.isFinite(untilMs)) this.alarm(untilMs);
    });
  }

  private alarm(atMs: number): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => this.wake?.(), Math.max(0, atMs - Date.now()));
  }

  /** One cron timer per schedule rule; each occurrence is queued once per tenant (dedup key). */
  private startSchedules(): void {
    for (const rule of ruleCatalog(this.deps.registry.current()).schedules) {
      const trigger = rule.def.trigger;
      if (trigger.on !== 'schedule') continue;
      const timer = new Cron(trigger.cron, { timezone: 'UTC', catch: this.onError }, async (self: Cron) => {
        const occurrence = (self.currentRun() ?? new Date()).toISOString();
        await this.queueSchedule(rule, occurrence);
      });
      this.scheduleTimers.push(timer);
    }
    const evaluations = new Cron(
      ALERT_RULES_CRON,
      { timezone: 'UTC', catch: this.onError },
      async (self: Cron) => {
        await this.queueEvaluations((self.currentRun() ?? new Date()).toISOString());
      },
    );
    this.scheduleTimers.push(evaluations);
  }

  /**
   * Queues the check of the evaluated records (of every entity declaring `evaluatedBy`) due at this
   * tick, one run per entity and tenant however many runners tick; a tenant with no record due gets
   * no run (the run log holds only checks that ran records).
   */
  async queueEvaluations(occurrence: string): Promise<void> {
    const model = this.deps.registry.current();
    const entities = thresholdAlertEntities(model);
    if (entities.length === 0) return;
    let queued = false;
    for (const tenantId of await this.deps.tenants()) {
      const ctx = { tenantId, userId: null, traceId: `evaluate-${occurrence}`, model };
      for (const entity of entities) {
        if ((await this.dueRecords(ctx, entity, Date.parse(occurrence))).length === 0) continue;
        const job = evaluationJob(entity.name);
        await this.deps.database.transaction((tx) =>
          this.jobs.insert(tx, {
            tenantId,
            kind: 'schedule',
            rule: job,
            entity: entity.name,
            recordId: null,
            triggerEvent: `schedule:${occurrence}`,
            payload: { actorId: null, chain: [] },
            dueMs: Date.now(),
            maxAttempts: 1,
            dedupKey: `schedule:${job}:${tenantId}:${occurrence}`,
          }),
        );
        queued = true;
      }
    }
    if (queued) this.notify();
  }

  /** The tenant's enabled evaluated records (metadata names) whose check interval elapses at the tick. */
  private async dueRecords(
    ctx: RequestContext,
    entity: CompiledEntity,
    tickMs: number,
  ): Promise<RuleRecord[]> {
    const query = this.deps.records.parseListQuery(
      entity.name,
      { filter: { enabled: { eq: true } }, pageSize: SCHEDULED_RECORDS_LIMIT, count: 'none' },
      ctx.model,
    );
    const { items } = await this.deps.records.list(entity.name, query, ctx);
    return items
      .map((item) => toMetadata(entity, item))
      .filter((rule) => alertRuleDue(Number(rule.check_interval_seconds ?? 60), tickMs));
  }

  async queueSchedule(rule: CompiledRule, occurrence: string): Promise<void> {
    for (const tenantId of await this.deps.tenants()) {
      await this.deps.database.transaction((tx) =>
        this.jobs.insert(tx, {
          tenantId,
          kind: 'schedule',
          rule: rule.def.rule,
          entity: rule.def.entity,
          recordId: null,
          triggerEvent: `schedule:${occurrence}`,
          payload: { actorId: null, chain: [] },
          dueMs: Date.now(),
          maxAttempts: rule.def.attempts ?? 3,
          dedupKey: `schedule:${rule.def.rule}:${tenantId}:${occurrence}`,
        }),
      );
    }
    this.notify();
  }

  private context(job: JobRow, model: Model): RequestContext {
    return {
      tenantId: job.tenantId,
      userId: job.payload.actorId ?? null,
      traceId: `rule-job-${job.id}`,
      model,
    };
  }

  async run(job: JobRow): Promise<void> {
    const started = Date.now();
    const model = this.deps.registry.current();
    const rule = ruleCatalog(model).byName.get(job.rule);
    try {
      const evaluator = evaluatorJob(model, job.rule);
      if (evaluator?.phase === 'evaluate' && job.kind === 'schedule') {
        const checked = await this.checkThresholds(
          this.context(job, model),
          evaluator.entity,
          job.triggerEvent,
        );
        await this.jobs.finish(this.deps.database.executor(), job, 'DONE', { checked }, Date.now() - started);
        return;
      }
      if (evaluator?.phase === 'escalate' && job.kind === 'timer') {
        await this.escalateAlert(job, this.context(job, model), evaluator.entity, started);
        return;
      }
      if (!rule) {
        await this.jobs.finish(
          this.deps.database.executor(),
          job,
          'SKIPPED',
          { reason: 'rule no longer exists or is disabled' },
          0,
        );
        return;
      }
      const ctx = this.context(job, model);
      if (job.kind === 'schedule') {
        const matched = await this.runSchedule(job, rule, ctx);
        await this.jobs.finish(this.deps.database.executor(), job, 'DONE', { matched }, Date.now() - started);
        return;
      }
      const previous = job.payload.previous ?? null;
      // Measures read other records through the pool: computed before the step's transaction.
      const measures = rule.def.measures
        ? (await this.evaluate(this.deps.database.executor(), rule, ctx, job.recordId, previous)).measures
        : {};
      const chain = [...(job.payload.chain ?? []), chainLink(rule.def.rule, rule.def.entity, job.recordId)];
      const actions = rule.def.actions;
      const done: PlannedAction[] = [];
      for (let step = job.step; step < actions.length; step++) {
        const first = done.length === 0;
        const last = step === actions.length - 1;
        const applied = await this.retryOnConflict(() =>
          ruleChain.run(chain, () =>
            this.deps.records.transaction(async (tx) => {
              const lease = this.jobs.holdLease(tx, job);
              // Read in the step's transaction: the previous step may have changed the record.
              const evaluation = await this.evaluate(tx, rule, ctx, job.recordId, previous, measures);
              if (!(await lease.held())) throw new LeaseLost(job);
              if (first && !evaluation.holds) {
                const result = { condition: false, measures };
                await this.jobs.finish(tx, job, 'SKIPPED', result, Date.now() - started, job.step, true);
                return null;
              }
              const planned = await this.apply(
                tx,
                rule,
                actions[step]!,
                ctx,
                job,
                evaluation.record ?? {},
                evaluation.targets,
              );
              if (last)
                await this.jobs.finish(
                  tx,
                  job,
                  'DONE',
                  { actions: [...done, planned], measures },
                  Date.now() - started,
                  step + 1,
                  true,
                );
              else await this.jobs.advance(tx, job, step + 1, true);
              return planned;
            }),
          ),
        );
        if (applied === null) return;
        done.push(applied);
      }
      if (done.length === 0)
        // Resumed after its last action (the finish did not commit): only the finish is left.
        await this.jobs.finish(
          this.deps.database.executor(),
          job,
          'DONE',
          { measures },
          Date.now() - started,
        );
    } catch (error) {
      if (error instanceof LeaseLost) return;
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = Date.now() + this.options.retryBaseMs * 2 ** Math.max(0, job.attempts - 1);
      await this.jobs
        .fail(this.deps.database.executor(), job, message, Date.now() - started, retryAt)
        .catch(this.onError);
      this.notify(retryAt);
    }
  }

  /**
   * Runs a step again when another writer changed a record it writes between its read and its
   * write (409 on the version): the new attempt reads the committed values in a new transaction.
   */
  private async retryOnConflict<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= STEP_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  /** A scheduled check: queues a run for each record (up to a limit) whose condition holds. */
  private async runSchedule(job: JobRow, rule: CompiledRule, ctx: RequestContext): Promise<number> {
    const query = this.deps.records.parseListQuery(
      rule.def.entity,
      { pageSize: SCHEDULED_RECORDS_LIMIT, count: 'none' },
      ctx.model,
    );
    const { items } = await this.deps.records.list(rule.def.entity, query, ctx);
    let matched = 0;
    for (const item of items) {
      const id = Number(item.id);
      const queued = await this.deps.database.transaction(async (tx) => {
        const evaluation = await this.evaluate(tx, rule, ctx, id, null);
        if (!evaluation.holds) return false;
        await this.jobs.insert(tx, {
          tenantId: job.tenantId,
          kind: 'rule',
          rule: rule.def.rule,
          entity: rule.def.entity,
          recordId: id,
          triggerEvent: job.triggerEvent,
          payload: { actorId: null, chain: [] },
          dueMs: Date.now(),
          maxAttempts: rule.def.attempts ?? 3,
          dedupKey: `${job.triggerEvent}:${rule.def.rule}:${job.tenantId}:${id}`.slice(0, 191),
        });
        return true;
      });
      if (queued) matched++;
    }
    if (matched > 0) this.notify();
    return matched;
  }

  /**
   * Evaluates the tenant's enabled records of a `thresholdAlert` entity due at the tick
   * (`schedule:<ISO time>`): the metric over the window (per group of the record's `group_by`),
   * compared with the threshold. Where it holds the record raises its alert (notifying its
   * recipients and starting its escalation timer), or counts one more occurrence of the open one;
   * its open alerts whose condition no longer holds are resolved unless it opts out. A record that
   * fails is reported in the result (the run log) and does not stop the others.
   */
  async checkThresholds(
    ctx: RequestContext,
    source: CompiledEntity,
    triggerEvent: string,
  ): Promise<Record<string, unknown>[]> {
    const at = Date.parse(triggerEvent.replace(/^schedule:/, ''));
    const tickMs = Number.isFinite(at) ? at : Date.now();
    const results: Record<string, unknown>[] = [];
    for (const rule of await this.dueRecords(ctx, source, tickMs)) {
      const code = String(rule.rule_code);
      try {
        const { errors, checked } = checkAlertRule(ctx.model, rule);
        if (!checked) throw new Error(errors.map((error) => error.message).join('; '));
        const since = new Date(Date.now() - Number(rule.window_minutes ?? 5) * 60_000);
        const aggregate = await this.deps.aggregates.aggregateAsEngine(
          checked.entity.name,
          metricQuery(checked, since, (raw) =>
            this.deps.records.parseListQuery(checked.entity.name, raw, ctx.model),
          ),
          ctx,
        );
        const number = (raw: unknown) => (raw === null || raw === undefined ? null : Number(raw));
        const groups = checked.groupBy
          ? groupsOver(
              checked,
              aggregate.rows.map((row) => ({ group: plainId(row.group), value: number(row.value) })),
              await this.groupDomain(ctx, checked),
            )
          : [{ group: undefined, value: number(aggregate.rows[0]?.value) }];
        const holding = new Set<string>();
        const values = new Map<string, number | null>();
        const checks: Record<string, unknown>[] = [];
        for (const { group, value } of groups) {
          const holds = value !== null && compareWithThreshold(checked.operator, value, checked.threshold);
          const per = checked.groupBy ? { path: checked.groupBy.path, value: group ?? null } : null;
          const dedupKey = alertDedupKey({ dedupKey: `${source.name}:${String(rule.id)}`, per });
          values.set(dedupKey, value);
          const entry: Record<string, unknown> = per ? { group: per.value, value, holds } : { value, holds };
          if (holds) {
            holding.add(dedupKey);
            Object.assign(
              entry,
              await this.deps.records.transaction((tx) =>
                this.raiseRuleAlert(tx, ctx, source, rule, checked, value, per),
              ),
            );
          }
          checks.push(entry);
        }
        const result: Record<string, unknown> = checked.groupBy
          ? { rule: code, groups: checks }
          : { rule: code, ...checks[0] };
        if (checked.autoResolve) {
          const resolved = await this.resolveRuleAlerts(ctx, source, rule, checked, holding, values);
          if (resolved.length > 0) result.resolved = resolved;
        }
        results.push(result);
      } catch (error) {
        results.push({ rule: code, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return results;
  }

  /**
   * The groups a grouped check evaluates besides those with rows: an enum's values, or the ids of
   * the records the grouped relation points to (the tenant's, not deleted, selected by the group
   * filter, the first 500; read as the check's principal, under its row scopes); null for other
   * fields, whose groups are the values found.
   */
  private async groupDomain(ctx: RequestContext, checked: CheckedAlertRule): Promise<string[] | null> {
    const groupBy = checked.groupBy!;
    if (groupBy.values) return groupBy.values;
    if (!groupBy.target) return null;
    const query = this.deps.records.parseListQuery(
      groupBy.target,
      {
        pageSize: SCHEDULED_RECORDS_LIMIT,
        count: 'none',
        ...(groupBy.filter ? { filter: groupBy.filter.target } : {}),
      },
      ctx.model,
    );
    const { items } = await this.deps.records.list(groupBy.target, query, ctx);
    return items.map((item) => String(item.id));
  }

  /**
   * Raises the evaluated record's alert (for one group value), or counts an occurrence of the open
   * one; a new alert notifies the record's recipients and starts its escalation timer, in the same
   * transaction.
   */
  private async raiseRuleAlert(
    tx: SqlExecutor,
    ctx: RequestContext,
    source: CompiledEntity,
    rule: RuleRecord,
    checked: CheckedAlertRule,
    value: number,
    per: { path: string; value: string | null } | null,
  ): Promise<Record<string, unknown>> {
    const name = String(rule.rule_name);
    const job = evaluationJob(source.name);
    const label = per ? await this.groupLabel(tx, ctx, checked, per.value) : null;
    const title = label === null ? name : `${name}: ${label}`;
    const threshold = `${checked.operator} ${String(rule.threshold)}`;
    const severity = String(rule.severity ?? 'WARNING');
    const link = alertLink(ctx.model, source.name);
    const raised = await this.raiseAlert(tx, ctx, {
      rule: job,
      entity: per && checked.groupBy?.target ? checked.groupBy.target : checked.entity.name,
      recordId: per && checked.groupBy?.target && per.value !== null ? Number(per.value) : null,
      title: { en: title, zh: title },
      severity,
      type: rule.rule_type,
      value,
      dedupKey: `${source.name}:${String(rule.id)}`,
      per,
      link: link ? { [link.property]: Number(rule.id) } : {},
      threshold,
    });
    if (raised.deduplicated) return raised;
    const alertId = Number(raised.alertId);
    const shown = stringOrNull(value);
    const notified = await this.notifyRecipients(tx, ctx, {
      users: checked.recipients.users,
      roles: checked.recipients.roles,
      rule: job,
      severity,
      title: { en: title, zh: title },
      body: {
        en: `${String(rule.metric)} is ${shown} (${threshold}).`,
        zh: `${String(rule.metric)} 当前值 ${shown}（${threshold}）。`,
      },
      entity: 'alert_event',
      recordId: alertId,
      channels: checked.channels,
    });
    const result: Record<string, unknown> = { ...raised, notified };
    if (checked.escalation) {
      const dueMs = await this.deps.hooks.startEscalation(
        tx,
        ctx,
        source.name,
        alertId,
        checked.escalation.afterMs,
      );
      result.escalationDueAt = new Date(dueMs).toISOString();
    }
    return result;
  }

  /** The display value of the record a grouped relation points to, else the value itself. */
  private async groupLabel(
    tx: SqlExecutor,
    ctx: RequestContext,
    checked: CheckedAlertRule,
    value: string | null,
  ): Promise<string> {
    const target = checked.groupBy?.target ? ctx.model.entities.get(checked.groupBy.target) : undefined;
    if (value === null) return `${checked.groupBy?.path ?? ''} -`;
    if (!target) return value;
    try {
      const { record } = await this.deps.records.current(tx, target.name, Number(value), ctx, 'read');
      const display = target.fieldsByName.get(target.display);
      const shown = display ? record[display.apiName] : null;
      return shown === null || shown === undefined || shown === '' ? value : String(shown);
    } catch (error) {
      if (error instanceof NotFoundError) return value;
      throw error;
    }
  }

  /**
   * Resolves the rule's open alerts whose condition did not hold at this check, each through the
   * alert workflow's resolve action (audit, history and events as for a person), as the engine.
   */
  private async resolveRuleAlerts(
    ctx: RequestContext,
    source: CompiledEntity,
    rule: RuleRecord,
    checked: CheckedAlertRule,
    holding: ReadonlySet<string>,
    values: ReadonlyMap<string, number | null>,
  ): Promise<number[]> {
    const link = alertLink(ctx.model, source.name);
    if (!link) return [];
    const query = this.deps.records.parseListQuery(
      'alert_event',
      {
        filter: { [link.property]: { eq: rule.id }, status: { in: ['ACTIVE', 'ACKNOWLEDGED'] } },
        pageSize: SCHEDULED_RECORDS_LIMIT,
        count: 'none',
      },
      ctx.model,
    );
    const { items } = await this.deps.records.list('alert_event', query, ctx);
    const resolved: number[] = [];
    for (const alert of items) {
      const key = String(alert.dedupKey);
      if (holding.has(key)) continue;
      const value = values.get(key);
      const now = value === undefined || value === null ? 'no value' : stringOrNull(value);
      const resolution =
        `Resolved automatically: ${String(rule.metric)} is ${now}, ` +
        `no longer ${checked.operator} ${String(rule.threshold)}.`;
      await this.retryOnConflict(() =>
        this.deps.records.transaction((tx) =>
          this.fireAsEngine(tx, ctx, 'alert_event', Number(alert.id), ALERT_RESOLVE_ACTION, {
            reason: `alert rule ${String(rule.rule_code)}`,
            fields: { resolution },
          }),
        ),
      );
      resolved.push(Number(alert.id));
    }
    return resolved;
  }

  /** Performs a workflow action as the engine, holding the roles the transition names. */
  private fireAsEngine(
    tx: SqlExecutor,
    ctx: RequestContext,
    entity: string,
    id: number,
    action: string,
    body: ActionBody,
  ) {
    const workflow = ctx.model.workflows.get(ctx.model.entities.get(entity)?.workflow ?? '');
    const roles = workflow?.transitions.find((t) => t.action === action)?.roles ?? [];
    return this.deps.workflows.fireIn(tx, ctx, engineActor(ctx.userId, roles), entity, id, action, body);
  }

  /**
   * An escalation timer of an alert raised by an alert rule: when the alert is still ACTIVE (not
   * acknowledged, resolved or suppressed), notifies the rule's escalation recipients; finishing the
   * run commits with the notification.
   */
  private async escalateAlert(
    job: JobRow,
    ctx: RequestContext,
    source: CompiledEntity,
    started: number,
  ): Promise<void> {
    await this.deps.records.transaction(async (tx) => {
      const skip = async (reason: string) => {
        if (!(await this.jobs.finish(tx, job, 'SKIPPED', { reason }, Date.now() - started)))
          throw new LeaseLost(job);
      };
      let alert: EntityRecord;
      try {
        alert = (await this.deps.records.current(tx, 'alert_event', Number(job.recordId), ctx, 'read'))
          .record;
      } catch (error) {
        if (error instanceof NotFoundError) return skip('the alert no longer exists');
        throw error;
      }
      if (alert.status !== 'ACTIVE') return skip(`the alert is ${String(alert.status)}`);
      const link = alertLink(ctx.model, source.name);
      const ruleId = link ? alert[link.property] : null;
      if (ruleId === null || ruleId === undefined) return skip(`the alert has no ${source.name}`);
      let rule: RuleRecord;
      try {
        const current = await this.deps.records.current(tx, source.name, Number(ruleId), ctx, 'read');
        rule = toMetadata(source, current.record);
      } catch (error) {
        if (error instanceof NotFoundError) return skip(`the ${source.name} no longer exists`);
        throw error;
      }
      const escalation = checkAlertRule(ctx.model, rule).checked?.escalation;
      if (!escalation) return skip(`the ${source.name} declares no escalation`);
      const title = String(alert.title);
      const after = describeDuration(escalation.after);
      const notified = await this.notifyRecipients(tx, ctx, {
        users: escalation.users,
        roles: escalation.roles,
        rule: escalationJob(source.name),
        severity: String(alert.severity),
        title: { en: `Escalated: ${title}`, zh: `告警升级：${title}` },
        body: { en: `Not acknowledged within ${after.en}.`, zh: `${after.zh}内未确认。` },
        entity: 'alert_event',
        recordId: Number(alert.id),
        channels: escalation.channels,
      });
      if (!(await this.jobs.finish(tx, job, 'DONE', { escalated: notified }, Date.now() - started)))
        throw new LeaseLost(job);
    });
  }

  /** Reads the record (with what the rule reads through), computes the measures and the condition. */
  async evaluate(
    tx: SqlExecutor,
    rule: CompiledRule,
    ctx: RequestContext,
    recordId: number | null,
    previous: RuleRecord | null,
    known?: Record<string, number>,
  ): Promise<Evaluation> {
    const entity = ctx.model.entities.get(rule.def.entity)!;
    let record: RuleRecord = {};
    if (recordId !== null) {
      try {
        record = await this.readRecord(tx, rule, ctx, entity, recordId);
      } catch (error) {
        if (!(error instanceof NotFoundError) || rule.def.trigger.on !== 'deleted') throw error;
        record = { ...(previous ?? {}), id: recordId };
      }
    }
    const targets = await this.readTargets(tx, rule, ctx, entity, record);
    const read = targets.size === 0 ? rule.paths : rule.paths.filter((path) => !targets.has(path[0]!));
    // A rule that reads only some columns of its record reads only what its paths name of the others.
    await readThrough(tx, ctx.model, ctx.tenantId, entity, record, read, rule.columns !== null);
    const measures = known ?? (await this.measures(rule, ctx, record));
    const working = await workingValues(tx, ctx, rule.def, record, null, this.deps.hooks.workingTime);
    const scope = { ...record, ...measures, ...working, $previous: previous };
    return { holds: holds(rule.when, scope), record: scope, measures, targets };
  }

  /**
   * The rule's record: only the columns it reads when it names them and the caller has no row scope
   * (the engine's runs, test runs), else the whole record as the record-change path reads it.
   */
  private async readRecord(
    tx: SqlExecutor,
    rule: CompiledRule,
    ctx: RequestContext,
    entity: CompiledEntity,
    recordId: number,
  ): Promise<RuleRecord> {
    if (rule.columns === null || ctx.access) {
      const current = await this.deps.records.current(tx, entity.name, recordId, ctx, 'read');
      return toMetadata(entity, current.record);
    }
    const record = await readColumns(tx, ctx.model, ctx.tenantId, entity, recordId, rule.columns);
    if (!record) throw new NotFoundError(entity.name, recordId);
    return record;
  }

  /**
   * The related records the rule both reads through and `set`s (`supplier.ncr_count` read, the
   * supplier set), read once as the record-change path reads them for an update: the action then
   * updates that read instead of reading the row again. Keyed by relation field name.
   */
  private async readTargets(
    tx: SqlExecutor,
    rule: CompiledRule,
    ctx: RequestContext,
    entity: CompiledEntity,
    record: RuleRecord,
  ): Promise<Map<string, CurrentRecord & { entity: string }>> {
    const targets = new Map<string, CurrentRecord & { entity: string }>();
    for (const action of rule.def.actions) {
      const head = 'set' in action ? action.record : undefined;
      if (!head || targets.has(head)) continue;
      const rest = rule.paths
        .filter((path) => path[0] === head && path.length > 1)
        .map((path) => path.slice(1));
      const target = entity.fieldsByName.get(head)?.relation?.target;
      const id = record[head];
      const related = target ? ctx.model.entities.get(target) : undefined;
      if (rest.length === 0 || !related || (typeof id !== 'number' && typeof id !== 'string')) continue;
      let current: CurrentRecord;
      try {
        current = await this.deps.records.current(tx, related.name, Number(id), ctx, 'update');
      } catch (error) {
        // Not there (or out of the actor's scope): read through as any relation, the set then fails.
        if (error instanceof NotFoundError) continue;
        throw error;
      }
      targets.set(head, { ...current, entity: related.name });
      record[head] = await readThrough(
        tx,
        ctx.model,
        ctx.tenantId,
        related,
        toMetadata(related, current.record),
        rest,
      );
    }
    return targets;
  }

  private async measures(
    rule: CompiledRule,
    ctx: RequestContext,
    record: RuleRecord,
  ): Promise<Record<string, number>> {
    const values: Record<string, number> = {};
    for (const [name, measure] of Object.entries(rule.def.measures ?? {}))
      values[name] = await this.measure(measure, ctx, record);
    return values;
  }

  /** Count, or share satisfying `ratio`, of the rows within the window matching the record. */
  private async measure(measure: RuleMeasureDef, ctx: RequestContext, record: RuleRecord): Promise<number> {
    const source = ctx.model.entities.get(measure.entity)!;
    const property = (name: string) => toApiName(source, name);
    const since = new Date(Date.now() - durationMs(measure.window)).toISOString();
    const filter: Record<string, unknown> = { [property(measure.window.field)]: { gte: since } };
    for (const [theirs, ours] of Object.entries(measure.match ?? {})) {
      const value = record[ours];
      const id = value && typeof value === 'object' && 'id' in value ? (value as { id: unknown }).id : value;
      if (id === null || id === undefined) return 0;
      filter[property(theirs)] = { eq: id };
    }
    const query = this.deps.records.parseListQuery(
      measure.entity,
      { filter, pageSize: SCHEDULED_RECORDS_LIMIT, count: 'none' },
      ctx.model,
    );
    const { items } = await this.deps.records.list(measure.entity, query, ctx);
    const rows = items.map((item) => toMetadata(source, item));
    const where = measure.where ? parseExpression(measure.where) : null;
    const counted = rows.filter((row) => holds(where, row));
    if (!measure.ratio) return counted.length;
    if (counted.length === 0) return 0;
    const ratio = parseExpression(measure.ratio);
    return counted.filter((row) => evaluateCondition(ratio, row)).length / counted.length;
  }

  /** Applies one action in the step's transaction and says what it did. */
  private async apply(
    tx: SqlExecutor,
    rule: CompiledRule,
    action: RuleAction,
    ctx: RequestContext,
    job: JobRow,
    record: RuleRecord,
    targets?: Evaluation['targets'],
  ): Promise<PlannedAction> {
    const planned = this.plan(rule, action, ctx, job, record);
    const entity = ctx.model.entities.get(rule.def.entity)!;
    const d = planned.detail;
    // `set` and `transition` through an empty relation have no record to act on: nothing to do.
    if ((planned.action === 'set' || planned.action === 'transition') && d.id === null) {
      d.skipped = 'no related record';
      return planned;
    }
    switch (planned.action) {
      case 'set': {
        const target = d.entity as string;
        // The related record as the evaluation read it for this update, when it did.
        const known = 'set' in action && action.record ? targets?.get(action.record) : undefined;
        const current = known?.entity === target && Number(known.row.id) === d.id ? known : undefined;
        await this.deps.records.updateIn(
          tx,
          target,
          d.id as number,
          toApi(ctx.model.entities.get(target)!, d.values as RuleRecord),
          ctx,
          current ? { current } : {},
        );
        break;
      }
      case 'transition': {
        const result = await this.fireAsEngine(
          tx,
          ctx,
          d.entity as string,
          d.id as number,
          d.transition as string,
          { reason: (d.reason as string | undefined) ?? `rule ${rule.def.rule}` },
        );
        d.status = result.status;
        break;
      }
      case 'create': {
        const created = await this.deps.records.createIn(
          tx,
          d.entity as string,
          toApi(ctx.model.entities.get(d.entity as string)!, d.values as RuleRecord),
          ctx,
        );
        d.id = created.id;
        break;
      }
      case 'alert':
        Object.assign(d, await this.raiseAlert(tx, ctx, d));
        break;
      case 'notify':
        Object.assign(
          d,
          await this.notifyRecipients(tx, ctx, {
            users: d.users as string[],
            roles: d.roles as string[],
            rule: rule.def.rule,
            severity: 'INFO',
            title: d.title as I18nText,
            body: d.body as I18nText | undefined,
            entity: rule.def.entity,
            recordId: job.recordId,
            channels: d.channels as AlertChannel[],
          }),
        );
        break;
      case 'webhook': {
        const status = await postWebhook(
          d.url as string,
          {
            'content-type': 'application/json',
            'x-mes-rule': rule.def.rule,
            'idempotency-key': `rule-job-${job.id}`,
          },
          JSON.stringify({
            rule: rule.def.rule,
            entity: entity.name,
            record: toApi(entity, plainRecord(record)),
          }),
          WEBHOOK_TIMEOUT_MS,
          this.deps.webhookTargets,
        );
        await this.deps.notifier.store.logDelivery(tx, ctx.tenantId, {
          notificationId: null,
          rule: rule.def.rule,
          channel: 'webhook',
          recipient: d.url as string,
          status: status < 300 ? 'SENT' : 'FAILED',
          error: status < 300 ? null : `HTTP ${status}`,
        });
        if (status >= 300) throw new Error(`webhook ${String(d.url)} answered ${status}`);
        d.status = status;
        break;
      }
      case 'startTimer': {
        const timer = ruleCatalog(ctx.model).byName.get(d.rule as string);
        const trigger = timer?.def.trigger;
        if (!timer || trigger?.on !== 'timer' || job.recordId === null) break;
        await this.jobs.cancelTimers(tx, ctx.tenantId, timer.def.entity, job.recordId, timer.def.rule);
        const due = await this.deps.hooks.queue(
          tx,
          ctx,
          timer.def,
          job.recordId,
          `startTimer:${rule.def.rule}`,
          null,
          'timer',
          Date.now() + durationMs(trigger.after),
        );
        if (due !== null) this.deps.hooks.announce(tx, due);
        break;
      }
      case 'cancelTimer':
        if (job.recordId !== null)
          d.cancelled = await this.jobs.cancelTimers(
            tx,
            ctx.tenantId,
            rule.def.entity,
            job.recordId,
            d.rule as string,
          );
        break;
      default:
        throw new Error(`action ${planned.action} cannot run after commit`);
    }
    return planned;
  }

  /**
   * Notifies users (by id or username) and the users of roles, on the channels: what `notify`
   * actions, alert rules' recipients and their escalations send, through the notifier.
   */
  private async notifyRecipients(
    tx: SqlExecutor,
    ctx: RequestContext,
    request: {
      users: readonly (string | number)[];
      roles: readonly string[];
      rule: string;
      severity: string;
      title: I18nText;
      body?: I18nText | undefined;
      entity: string;
      recordId: number | null;
      channels: readonly AlertChannel[];
    },
  ): Promise<NotifyResult> {
    const store = this.deps.notifier.store;
    const named = request.users.filter((user) => typeof user === 'string' && !/^\d+$/.test(user));
    const byName = await store.userIds(tx, ctx.model, ctx.tenantId, named);
    const userIds = [
      ...request.users.filter((user) => !named.includes(user)).map(String),
      ...byName.map((user) => user.id),
      ...(await store.usersWithRoles(tx, ctx.model, ctx.tenantId, request.roles)),
    ];
    return this.deps.notifier.send(tx, {
      tenantId: ctx.tenantId,
      model: ctx.model,
      userIds,
      rule: request.rule,
      severity: request.severity,
      title: request.title,
      ...(request.body ? { body: request.body } : {}),
      entity: request.entity,
      recordId: request.recordId,
      channels: request.channels,
    });
  }

  /** What an action would do on the record, without doing it (test runs, and the run log). */
  plan(
    rule: CompiledRule,
    action: RuleAction,
    ctx: RequestContext,
    job: Pick<JobRow, 'recordId'>,
    record: RuleRecord,
  ): PlannedAction {
    const now = new Date();
    const values = (set: Parameters<typeof resolveValues>[0]) =>
      resolveValues(set, { record, actorId: ctx.userId, now });
    const target = (relation: string | undefined) => {
      if (!relation) return { entity: rule.def.entity, id: job.recordId };
      const related = record[relation];
      const id = related && typeof related === 'object' ? (related as { id: unknown }).id : related;
      const field = ctx.model.entities.get(rule.def.entity)!.fieldsByName.get(relation);
      return {
        entity: field?.relation?.target ?? relation,
        id: id === null || id === undefined ? null : Number(id),
      };
    };
    if ('set' in action)
      return { action: 'set', detail: { ...target(action.record), values: values(action.set) } };
    if ('refuse' in action) return { action: 'refuse', detail: { message: action.refuse } };
    if ('transition' in action)
      return {
        action: 'transition',
        detail: { ...target(action.record), transition: action.transition, reason: action.reason },
      };
    if ('create' in action)
      return { action: 'create', detail: { entity: action.create, values: values(action.values ?? {}) } };
    if ('alert' in action) {
      const alert = action.alert;
      return {
        action: 'alert',
        detail: {
          rule: rule.def.rule,
          entity: rule.def.entity,
          recordId: job.recordId,
          title: fillTemplate(alert.title, record),
          severity: alert.severity,
          type: alert.type,
          assignee: alert.assignee ? idAt(record, alert.assignee) : null,
          value: alert.value
            ? resolveValues({ v: `=${alert.value}` }, { record, actorId: null, now }).v
            : null,
          per: alert.per ? { path: alert.per, value: idAt(record, alert.per) } : null,
        },
      };
    }
    if ('notify' in action)
      return {
        action: 'notify',
        detail: {
          users: (action.notify.users ?? [])
            .map((path) => idAt(record, path))
            .filter((id): id is string => id !== null),
          roles: action.notify.roles ?? [],
          title: fillTemplate(action.notify.title, record),
          body: action.notify.body ? fillTemplate(action.notify.body, record) : undefined,
          channels: action.notify.channels ?? ['in_app', 'email'],
        },
      };
    if ('webhook' in action) return { action: 'webhook', detail: { url: action.webhook } };
    if ('startTimer' in action) return { action: 'startTimer', detail: { rule: action.startTimer } };
    return { action: 'cancelTimer', detail: { rule: action.cancelTimer } };
  }

  /**
   * Raises an `alert_event` through the record-change path, or counts one more occurrence of the
   * open alert with the same deduplication key (rule and record, or rule and the `per` field's value)
   * instead of raising a second one.
   */
  private async raiseAlert(
    tx: SqlExecutor,
    ctx: RequestContext,
    d: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const dedup = alertDedupKey(d);
    const alertEntity = ctx.model.entities.get('alert_event');
    if (!alertEntity) throw new Error('alert_event is not in the Model');
    const query = this.deps.records.parseListQuery(
      'alert_event',
      {
        filter: { dedupKey: { eq: dedup }, status: { in: ['ACTIVE', 'ACKNOWLEDGED'] } },
        pageSize: 1,
        count: 'none',
      },
      ctx.model,
    );
    const { items } = await this.deps.records.list('alert_event', query, ctx);
    const now = new Date().toISOString();
    const titles = d.title as { en: string; zh: string };
    const title = titles.zh === titles.en ? titles.en : `${titles.zh} / ${titles.en}`;
    const open = items[0];
    if (open) {
      await this.deps.records.updateIn(
        tx,
        'alert_event',
        Number(open.id),
        {
          occurrenceCount: Number(open.occurrenceCount ?? 1) + 1,
          lastOccurredAt: now,
          currentValue: stringOrNull(d.value),
        },
        ctx,
      );
      return { alertId: open.id, deduplicated: true };
    }
    const created = await this.deps.records.createIn(
      tx,
      'alert_event',
      {
        ...((d.link as EntityRecord | undefined) ?? {}),
        alertType: d.type,
        severity: d.severity,
        title: title.slice(0, 255),
        sourceType: d.entity,
        sourceId: d.recordId === null ? null : String(d.recordId),
        dedupKey: dedup,
        currentValue: stringOrNull(d.value),
        threshold: (d.threshold as string | undefined) ?? null,
        firstOccurredAt: now,
        lastOccurredAt: now,
        assigneeId: d.assignee === null || d.assignee === undefined ? null : Number(d.assignee),
      } satisfies EntityRecord,
      ctx,
    );
    return { alertId: created.id, deduplicated: false };
  }
}

/** A group value as the key and label take it: relation ids and numbers as text. */
function plainId(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'id' in value) return String((value as { id: unknown }).id);
  return String(value);
}

function describeDuration(after: DurationDef): I18nText {
  const parts: [number | undefined, string, string][] = [
    [after.days, 'days', '天'],
    [after.hours, 'hours', '小时'],
    [after.minutes, 'minutes', '分钟'],
  ];
  const given = parts.filter(([n]) => n);
  return {
    en: given.map(([n, unit]) => `${n} ${unit}`).join(' '),
    zh: given.map(([n, , unit]) => `${n} ${unit}`).join(' '),
  };
}

function stringOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number'
    ? String(Math.round(value * 10_000) / 10_000)
    : String(value).slice(0, 128);
}

/** A field's API property; a system field (`created_at`) by its API name (`createdAt`). */
function toApiName(entity: CompiledEntity, name: string): string {
  if (!entity.fieldsByName.has(name)) return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.keys(toApi(entity, { [name]: null }))[0]!;
}

/** The id a field path of the record holds (`assignee`, `department.manager`, `workstation`). */
function idAt(record: RuleRecord, path: string): string | null {
  let current: unknown = record;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as RuleRecord)[segment];
  }
  if (current && typeof current === 'object' && 'id' in current) current = (current as { id: unknown }).id;
  return current === null || current === undefined ? null : String(current);
}

/** The record's own values, relations read through back to their ids, for webhook bodies. */
function plainRecord(record: RuleRecord): RuleRecord {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([name]) => !name.startsWith('$'))
      .map(([name, value]) => [
        name,
        value && typeof value === 'object' && 'id' in value ? (value as { id: unknown }).id : value,
      ]),
  );
}
