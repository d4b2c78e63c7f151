/**
 * The automation engine on a server: rules on the record-change path, the runner of asynchronous
 * rules, timers and schedules, and the notifier. Every instance that runs background work (MES_ROLE
 * all or worker) runs the runner unless AUTOMATION_RUNNER=off; claims make each job run once however
 * many instances run it. The job scheduler (scheduled `job` records) runs beside it unless
 * JOB_SCHEDULER=off. A commit that queued jobs wakes this process's runner directly and, with
 * Redis, every other instance's through the live channel (one `system` message per few ms at most).
 */
import type { Logger } from 'pino';
import { AggregateEngine } from '../bi/aggregate-engine';
import type { EntityService } from '../crud/entity.service';
import type { EntityOperations } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import { InProcessLiveChannel, type LiveChannel } from '../events/live-channel';
import { WebhookTargetPolicy } from '../events/webhook-targets';
import { coreJobHandlers, type JobHandlers } from '../jobs/job-handlers';
import { JobScheduler, type JobSchedulerOptions } from '../jobs/job-scheduler';
import { registerRecurrenceHooks } from '../jobs/recurrence-hooks';
import type { ModelRegistry } from '../kernel/model-registry';
import { mailSettingsFromEnv, Notifier } from '../notify/notifier';
import { JobStore } from '../rules/job-store';
import { RuleHooks } from '../rules/register-rule-hooks';
import { RuleRunner, type RuleRunnerOptions } from '../rules/rule-runner';
import type { WorkflowService } from '../workflow/workflow.service';

export interface AutomationRuntime {
  runner: RuleRunner;
  /** Runs the scheduled jobs (`job` records) through the handler registry. */
  scheduler: JobScheduler;
  /** The secured record operations (reads as the caller, with their scope). */
  operations: EntityOperations;
  notifier: Notifier;
  stop(): Promise<void>;
}

export interface AutomationInput {
  database: EngineDatabase;
  service: EntityService;
  operations: EntityOperations;
  workflows: WorkflowService;
  registry: ModelRegistry;
  live: LiveChannel;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  defaultTenant: string;
  /** Whether this process runs background work (MES_ROLE all or worker): only then does it run rules. */
  background: boolean;
  runner?: RuleRunnerOptions;
  scheduler?: JobSchedulerOptions;
  /** The job handlers; default the core's (coreJobHandlers). */
  jobHandlers?: JobHandlers;
}

const QUEUED = { kind: 'system', topic: 'automation.queued' } as const;
/** Announcements of queued jobs within this window go out as one message (the earliest due time). */
const SIGNAL_WINDOW_MS = 5;

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value?.trim() && Number.isInteger(number) && number > 0 ? number : undefined;
}

export function startAutomation(input: AutomationInput): AutomationRuntime {
  const onError = (error: unknown) => input.logger.error({ err: error }, 'automation');
  const notifier = new Notifier(input.live, mailSettingsFromEnv(input.env), input.database.executor());
  const jobs = new JobStore();
  const shared = !(input.live instanceof InProcessLiveChannel);
  let pending: number | null = null;
  const signal = (dueMs: number) => {
    if (!shared) return;
    if (pending === null)
      setTimeout(() => {
        const data = { dueMs: pending };
        pending = null;
        input.live.publish(QUEUED, { event: 'automation.queued', data }).catch(onError);
      }, SIGNAL_WINDOW_MS);
    pending = pending === null ? dueMs : Math.min(pending, dueMs);
  };
  let wake: (dueMs: number) => void = () => undefined;
  const hooks = new RuleHooks(jobs, (dueMs) => {
    wake(dueMs);
    signal(dueMs);
  });
  // Rules and recurrence react to what the domain made of a change (HOOK_STAGES).
  const automationHooks = input.service.hooks.inStage('automation');
  hooks.register(automationHooks);
  const runner = new RuleRunner(
    {
      database: input.database,
      records: input.service,
      workflows: input.workflows,
      registry: input.registry,
      notifier,
      hooks,
      webhookTargets: WebhookTargetPolicy.fromEnv(input.env),
      tenants: () => activeTenants(input),
      aggregates: new AggregateEngine(input.database, false),
    },
    {
      onError,
      pollMs: shared ? 5000 : 500,
      concurrency: positiveNumber(input.env.AUTOMATION_CONCURRENCY),
      ...input.runner,
    },
  );
  wake = (dueMs) => runner.notify(dueMs);
  const scheduler = new JobScheduler(
    {
      database: input.database,
      records: input.service,
      operations: input.operations,
      registry: input.registry,
      handlers: input.jobHandlers ?? coreJobHandlers(),
      tenants: () => activeTenants(input),
    },
    { onError: (error) => input.logger.error({ err: error }, 'job scheduler'), ...input.scheduler },
  );
  // Recurring records (the `job` entity declares `recurrence`): checked and rescheduled on write.
  registerRecurrenceHooks(automationHooks, {
    handlers: scheduler.handlers,
    clock: input.scheduler?.clock ?? Date.now,
  });
  const runs = input.background && (input.env.AUTOMATION_RUNNER?.trim() || 'on') !== 'off';
  const unsubscribe = runs
    ? input.live.subscribe([`system:${QUEUED.topic}`], (message) =>
        runner.notify(Number((message.data as { dueMs?: unknown }).dueMs) || undefined),
      )
    : () => undefined;
  if (runs) runner.start();
  const schedules = input.background && (input.env.JOB_SCHEDULER?.trim() || 'on') !== 'off';
  if (schedules) scheduler.start();
  input.logger.info(
    {
      runner: runs ? 'on' : 'off',
      scheduler: schedules ? 'on' : 'off',
      email: mailSettingsFromEnv(input.env) ? 'smtp' : 'off',
    },
    'automation started',
  );
  return {
    runner,
    scheduler,
    notifier,
    operations: input.operations,
    stop: async () => {
      unsubscribe();
      await scheduler.stop();
      await runner.stop();
      notifier.close();
    },
  };
}

async function activeTenants(input: AutomationInput): Promise<string[]> {
  const model = input.registry.current();
  const ctx = { tenantId: input.defaultTenant, userId: null, traceId: 'automation-schedule', model };
  const tenants = new Set([input.defaultTenant]);
  if (model.entities.has('tenant')) {
    const query = input.service.parseListQuery(
      'tenant',
      { filter: { status: { eq: 'ACTIVE' } }, pageSize: 500, count: 'none' },
      model,
    );
    for (const row of (await input.service.list('tenant', query, ctx)).items)
      tenants.add(String(row.tenantCode));
  }
  return [...tenants];
}
