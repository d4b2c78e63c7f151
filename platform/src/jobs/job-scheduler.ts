/**
 * Runs the ACTIVE `job` records (table `sys_job`) on their cron, read in their time zone (croner;
 * 5 fields, or 6 with seconds first), through a handler of the registry (JobHandlers).
 *
 * Every poll reads each tenant's ACTIVE jobs. A job whose `next_run_at` has come is claimed for that
 * due time in `evt_processed` in the same transaction that moves `next_run_at` on, so of several
 * instances exactly one runs each due time, and a crash between the two loses neither. The claim
 * re-reads the job: one paused or rescheduled since the poll's read is left to the next poll, and
 * the run uses the job as the claim read it (parameters edited meanwhile included). Occurrences
 * missed by more than the grace time (the servers were down) follow the job's misfire policy: SKIP
 * runs none of them, FIRE_ONCE runs once, FIRE_NOW runs each (at most MAX_CATCH_UP). A job that is
 * not `concurrent` never overlaps itself: in this process, and across instances on MySQL/MariaDB (a
 * named lock); an occurrence that finds it running is recorded as SKIPPED. A run has
 * `timeout_seconds` per attempt and `max_retries` further attempts. Outcomes are written through the
 * record-change path as the system (no user), so they are audited like any other change.
 *
 * The `job` entity declares `recurrence` in its metadata, so the engine's recurrence hook (not this
 * class) checks `cron`, `timezone` and `handler` on every write and recomputes `next_run_at` when
 * the schedule or status changes: edits take effect at the next poll of every instance without a
 * restart or a message; PAUSED clears it and the job is not read.
 */
import type { EntityService } from '../crud/entity.service';
import { ApiError, ConflictError } from '../crud/errors';
import type { EntityOperations, EntityRecord, RequestContext } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import type { ModelRegistry } from '../kernel/model-registry';
import { JobLocks } from '../plugins/job-lock-store';
import { requirePermission } from '../security/authorization/access';
import type { SecureContext } from '../security/principal';
import type { CronExpression } from './cron';
import type { JobHandlers } from './job-handlers';
import { storedCron } from './recurrence-hooks';

export const JOB_ENTITY = 'job';
/** The permission of `run_now`: the entity action, held by the admin role through `*:*`. */
export const RUN_NOW_PERMISSION = 'job:run_now';
/** Missed occurrences run at most this many times under FIRE_NOW. */
export const MAX_CATCH_UP = 10;
const MAX_ERROR = 4000;
const JOBS_PER_TENANT = 500;

export type RunResult = 'SUCCESS' | 'FAILED' | 'TIMEOUT' | 'SKIPPED';

export interface JobSchedulerDeps {
  database: EngineDatabase;
  records: EntityService;
  operations: EntityOperations;
  registry: ModelRegistry;
  handlers: JobHandlers;
  tenants: () => Promise<string[]>;
}

export interface JobSchedulerOptions {
  /** How often ACTIVE jobs are read. Default 1000 ms. */
  pollMs?: number;
  /** An occurrence later than this is missed (misfire policy applies). Default 60000 ms. */
  misfireGraceMs?: number;
  /** Wait before retry n is n times this. Default 1000 ms. */
  retryDelayMs?: number;
  /** The scheduler's clock (ms since the epoch). Default Date.now. */
  clock?: () => number;
  onError?: (error: unknown) => void;
}

/** The job a non-concurrent run_now found running: 409. */
export class JobRunningError extends ApiError {
  constructor(code: string) {
    super('CONFLICT', 409, `job ${code} is running and does not allow concurrent runs`, { job: code });
  }
}

class RunTimeout extends Error {
  constructor(seconds: number) {
    super(`run exceeded timeout_seconds (${seconds} s)`);
  }
}

/** The job fields in API shape (camelCase), as the record-change path reads and writes them. */
interface JobRecord {
  id: number;
  jobCode: string;
  handler: string;
  cron: string;
  timezone?: string | null;
  params?: unknown;
  misfirePolicy?: 'FIRE_NOW' | 'SKIP' | 'FIRE_ONCE' | null;
  concurrent?: boolean | number | null;
  timeoutSeconds?: number | null;
  maxRetries?: number | null;
  status?: string | null;
  nextRunAt?: string | null;
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text;
}

export class JobScheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = true;
  private abort = new AbortController();
  private readonly locks: JobLocks;
  /** Runs in flight in this process, by `<tenant>:<job id>`. */
  private readonly running = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: () => number;

  constructor(
    private readonly deps: JobSchedulerDeps,
    private readonly options: JobSchedulerOptions = {},
  ) {
    this.locks = new JobLocks(deps.database);
    this.clock = options.clock ?? Date.now;
  }

  get handlers(): JobHandlers {
    return this.deps.handlers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** No further polls; runs in flight see their signal aborted and are awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // Runs in flight see their signal aborted; run_now (served while stopped too) gets a fresh one.
    const abort = this.abort;
    this.abort = new AbortController();
    abort.abort();
    await this.ticking;
    await this.idle();
  }

  /** Resolves when no run started by this process is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.ticking = null;
          this.schedule();
        });
    }, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** One poll: every tenant's ACTIVE jobs whose next run has come are claimed and started. */
  async tick(): Promise<void> {
    const model = this.deps.registry.current();
    if (!model.entities.has(JOB_ENTITY)) return;
    for (const tenantId of await this.deps.tenants()) {
      const ctx = this.systemContext(tenantId, 'scan');
      const query = this.deps.records.parseListQuery(
        JOB_ENTITY,
        { filter: { status: { eq: 'ACTIVE' } }, pageSize: JOBS_PER_TENANT, count: 'none' },
        model,
      );
      for (const row of (await this.deps.records.list(JOB_ENTITY, query, ctx)).items) {
        try {
          await this.consider(tenantId, row as unknown as JobRecord);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    }
  }

  /**
   * Runs the job now for a caller holding `job:run_now` (403 otherwise) who can see the record (404
   * otherwise); 409 when it does not allow concurrent runs and one is in flight. Resolves with the
   * job record once the run finished.
   */
  async runNow(ctx: SecureContext, id: number): Promise<EntityRecord> {
    requirePermission(ctx, RUN_NOW_PERMISSION);
    const job = (await this.deps.operations.get(JOB_ENTITY, id, ctx)) as unknown as JobRecord;
    const started = await this.launch(ctx.tenantId, job, [new Date(this.clock())], ctx.userId);
    if (!started) throw new JobRunningError(job.jobCode);
    await started.done;
    // Read back as the caller, so their field rules shape the answer as on any read.
    return this.deps.operations.get(JOB_ENTITY, id, ctx);
  }

  private systemContext(tenantId: string, what: string, actorId: string | null = null): RequestContext {
    return {
      tenantId,
      userId: actorId,
      traceId: `job-scheduler-${what}`,
      model: this.deps.registry.current(),
    };
  }

  private async consider(tenantId: string, job: JobRecord): Promise<void> {
    const now = this.clock();
    let cron: CronExpression;
    try {
      cron = storedCron(job.cron, job.timezone);
    } catch {
      return; // Refused on write; a row written around the engine is left alone.
    }
    const stored = job.nextRunAt ? Date.parse(job.nextRunAt) : NaN;
    const ctx = this.systemContext(tenantId, `job-${job.id}`);
    if (!Number.isFinite(stored)) {
      // Written around the engine (or before the scheduler existed): schedule from now.
      const next = cron.nextRun(new Date(now));
      if (!next) return; // Never matches again (e.g. a date in the past): nothing to schedule.
      await this.deps.database.transaction((tx) =>
        this.deps.records.updateIn(tx, JOB_ENTITY, job.id, { nextRunAt: iso(next) }, ctx),
      );
      return;
    }
    if (stored > now) return;
    const due: Date[] = [new Date(stored)];
    for (;;) {
      const next = cron.nextRun(due[due.length - 1]);
      if (!next || next.getTime() > now || due.length > MAX_CATCH_UP) break;
      due.push(next);
    }
    const following = cron.nextRun(new Date(now));
    let claimed: JobRecord | null;
    try {
      claimed = await this.deps.database.transaction(async (tx) => {
        // Changed since this poll read it, here or on another instance: the next poll goes by the
        // change (a stale schedule must not overwrite the next run the change computed).
        const fresh = (await this.deps.records.getIn(tx, JOB_ENTITY, job.id, ctx)) as unknown as JobRecord;
        if (
          fresh.nextRunAt !== job.nextRunAt ||
          fresh.cron !== job.cron ||
          (fresh.timezone ?? null) !== (job.timezone ?? null) ||
          fresh.status !== job.status
        )
          return null;
        if (!(await this.locks.claim(`sys-job:${tenantId}:${job.id}`, new Date(stored), tx))) return null;
        // A write committed since the read above fails this one on its version: not claimed.
        await this.deps.records.updateIn(tx, JOB_ENTITY, job.id, { nextRunAt: iso(following) }, ctx);
        // Run as it is now: handler, parameters and limits edited since the poll's read included.
        return fresh;
      });
    } catch (error) {
      if (error instanceof ConflictError) return;
      throw error;
    }
    if (!claimed) return;
    const missed = now - stored > (this.options.misfireGraceMs ?? 60_000);
    const policy = claimed.misfirePolicy ?? 'FIRE_ONCE';
    let runs: Date[];
    if (!missed) runs = [due[due.length - 1]];
    else if (policy === 'SKIP') runs = [];
    else if (policy === 'FIRE_NOW') runs = due.slice(0, MAX_CATCH_UP);
    else runs = [due[due.length - 1]];
    if (runs.length === 0) {
      await this.record(tenantId, job.id, {
        lastResult: 'SKIPPED',
        lastError: `${due.length > MAX_CATCH_UP ? `more than ${MAX_CATCH_UP}` : due.length} missed run(s) skipped (misfire policy SKIP)`,
      });
      return;
    }
    if (!(await this.launch(tenantId, claimed, runs, null)))
      await this.record(tenantId, job.id, {
        lastResult: 'SKIPPED',
        lastError: `run due at ${iso(runs[0])} skipped: the previous run is still going on`,
      });
  }

  /**
   * Starts the runs one after the other; null when the job does not allow concurrent runs and one
   * is in flight here (or, on MySQL, on another instance).
   */
  private async launch(
    tenantId: string,
    job: JobRecord,
    runs: Date[],
    actorId: string | null,
  ): Promise<{ done: Promise<void> } | null> {
    const key = `${tenantId}:${job.id}`;
    const concurrent = job.concurrent === true || job.concurrent === 1;
    if (!concurrent && (this.running.get(key) ?? 0) > 0) return null;
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    const release = () => {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
    };
    const work = async () => {
      for (const scheduledAt of runs) await this.perform(tenantId, job, scheduledAt, actorId);
    };
    let resolveStarted!: (ran: boolean) => void;
    const started = new Promise<boolean>((resolve) => (resolveStarted = resolve));
    const run = (
      concurrent
        ? (resolveStarted(true), work().then(() => true))
        : this.locks.exclusive(`sys-job:${tenantId}:${job.id}`, () => {
            resolveStarted(true);
            return work();
          })
    )
      .then((ran) => {
        if (ran === false) resolveStarted(false);
      })
      .catch((error: unknown) => {
        resolveStarted(true);
        this.options.onError?.(error);
      })
      .finally(release);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    // Wrapped: an async function would otherwise wait for the run itself.
    return (await started) ? { done: run } : null;
  }

  /** One run with its retries; writes the outcome on the record. */
  private async perform(
    tenantId: string,
    job: JobRecord,
    scheduledAt: Date,
    actorId: string | null,
  ): Promise<void> {
    const startedAt = new Date(this.clock());
    const handler = this.deps.handlers.get(job.handler);
    const timeoutSeconds = Number(job.timeoutSeconds ?? 300);
    const retries = Math.max(0, Number(job.maxRetries ?? 0));
    if (!handler) {
      // Its plugin is disabled or uninstalled: nothing ran, and the job runs again once it is back.
      await this.record(
        tenantId,
        job.id,
        {
          lastResult: 'SKIPPED',
          lastError: `run due at ${scheduledAt.toISOString()} skipped: no job handler '${job.handler}' is registered`,
        },
        undefined,
        actorId,
      );
      return;
    }
    let result: RunResult = 'FAILED';
    let error: string | null = null;
    const stopping = this.abort.signal;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await this.pause((this.options.retryDelayMs ?? 1000) * attempt, stopping);
      if (stopping.aborted) {
        error = `${error ?? 'run'}; the scheduler stopped before attempt ${attempt + 1}`;
        break;
      }
      const attemptAbort = new AbortController();
      const onStop = () => attemptAbort.abort();
      stopping.addEventListener('abort', onStop);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          handler.run({
            tenantId,
            params:
              job.params && typeof job.params === 'object' ? (job.params as Record<string, unknown>) : {},
            scheduledAt,
            signal: attemptAbort.signal,
            database: this.deps.database,
          }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              // Refused first: a handler that ends on abort must not count as a success.
              reject(new RunTimeout(timeoutSeconds));
              attemptAbort.abort();
            }, timeoutSeconds * 1000);
          }),
        ]);
        result = 'SUCCESS';
        error = null;
        break;
      } catch (failure) {
        result = failure instanceof RunTimeout ? 'TIMEOUT' : 'FAILED';
        error = `attempt ${attempt + 1} of ${retries + 1}: ${message(failure)}`;
      } finally {
        clearTimeout(timer);
        stopping.removeEventListener('abort', onStop);
      }
    }
    await this.record(
      tenantId,
      job.id,
      { lastRunAt: startedAt.toISOString(), lastResult: result, lastError: error },
      result === 'SUCCESS' ? 'success' : 'failure',
      actorId,
    );
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Writes outcome fields (and counts a run) through the record-change path, so it is audited. */
  private async record(
    tenantId: string,
    id: number,
    fields: EntityRecord,
    counted?: 'success' | 'failure',
    actorId: string | null = null,
  ): Promise<void> {
    const ctx = this.systemContext(tenantId, `job-${id}`, actorId);
    await this.deps.database.transaction(async (tx) => {
      const current = (await this.deps.records.getIn(tx, JOB_ENTITY, id, ctx)) as {
        runCount?: number | null;
        failureCount?: number | null;
      };
      const body: EntityRecord = { ...fields };
      if (counted) body.runCount = Number(current.runCount ?? 0) + 1;
      if (counted === 'failure') body.failureCount = Number(current.failureCount ?? 0) + 1;
      await this.deps.records.updateIn(tx, JOB_ENTITY, id, body, ctx);
    });
  }
}
