/**
 * Runs the server code of the enabled plugins: loads each plugin's module (a fresh instance per
 * activation), hands `register(api)` an API whose registrations are collected first and attached
 * only when the plugin is activated, and detaches all of them on deactivation. Every handler runs
 * isolated (time limit, faults counted); a plugin with too many faults in a row is tripped: its
 * handlers stop at once and the manager marks it `error`.
 */
import { randomUUID } from 'node:crypto';
import type { PluginManifest } from '../../../metadata/src/types';
import type { Logger } from 'pino';
import type { EntityService } from '../crud/entity.service';
import {
  ApiError,
  BadRequestError,
  BusinessRuleError,
  ForbiddenError,
  ValidationError,
} from '../crud/errors';
import type { HookSelector, TransitionChange } from '../crud/hooks';
import { createRequestContext, engineContext } from '../crud/request-context';
import type { RequestContext } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import type { EventConsumer } from '../events/consumer';
import type { ModelRegistry } from '../kernel/model-registry';
import type { WorkflowService } from '../workflow/workflow.service';
import type {
  JobSchedule,
  PluginApi,
  PluginErrors,
  PluginHttpMethod,
  PluginRouteHandler,
  PluginRouteOptions,
  PluginTransition,
  TransitionSelector,
  WriteSelector,
} from './plugin-api';
import {
  importPluginModule,
  prepareServerCode,
  releasePluginCode,
  removeStaleActivations,
} from './plugin-code';
import { runIsolated, type FaultCounter, PluginFaultError, PluginTimeoutError } from './plugin-isolation';
import { listAll, setSystemFields } from './plugin-entity-helpers';
import type { JobHandler, JobHandlers } from '../jobs/job-handlers';
import { JobLocks } from './job-lock-store';
import { MIN_INTERVAL_MS, parseCron, ScheduledJob } from './plugin-jobs';

export interface PluginRuntimeOptions {
  database: EngineDatabase;
  service: EntityService;
  workflows: WorkflowService;
  /** The list the event runtime dispatches to; plugin subscribers are added to and removed from it. */
  consumers: EventConsumer[];
  registry: ModelRegistry;
  logger: Logger;
  defaultTenant: string;
  /** Where prepared plugin code lives, one folder per plugin version and checksum. */
  codeRoot: string;
  /** Time limit of a hook, route, subscriber or register(); default 5000 ms. */
  hookTimeoutMs?: number;
  /** Time limit of a job run; default 60000 ms. */
  jobTimeoutMs?: number;
  /** Faults in a row that trip a plugin; default 3. */
  maxFaults?: number;
  /** Whether scheduled jobs run in this process (not in an API-only instance); default true. */
  runsJobs?: boolean;
  /**
   * The job handler registry of the scheduled `job` records: each scheduled job of an active plugin
   * is a handler `<plugin>.<job name>` there (on every instance, API-only ones included, so a save
   * naming it is accepted anywhere), removed when the plugin is detached.
   */
  jobHandlers?: JobHandlers;
}

/** What the runtime needs to know of an enabled plugin. */
export interface PluginCode {
  name: string;
  manifest: PluginManifest;
  dir: string;
  checksum: string;
}

/** A matched plugin route and the plugin's isolation around it. */
export interface ResolvedRoute {
  plugin: string;
  params: Record<string, string>;
  status: number;
  run(work: (handler: PluginRouteHandler) => unknown): Promise<unknown>;
}

type Tripped = (plugin: string, reason: string) => void;

interface RouteEntry {
  method: PluginHttpMethod;
  segments: string[];
  handler: PluginRouteHandler;
  status: number;
}

/** One activation of one plugin's code and everything it registered. */
export class PluginInstance implements FaultCounter {
  readonly attachers: (() => () => void)[] = [];
  readonly routes: RouteEntry[] = [];
  readonly jobs: ScheduledJob[] = [];
  private readonly detachers: (() => void)[] = [];
  /** Faults in a row, per handler. */
  private readonly faultRuns = new Map<string, number>();
  tripped = false;
  attached = false;

  constructor(
    readonly code: PluginCode,
    /** This activation's copy of the code. */
    readonly folder: string,
    readonly logger: Logger,
    private readonly maxFaults: number,
    private readonly onTrip: Tripped,
    /** False in an API-only process: its jobs run in `mes worker`. */
    private readonly runsJobs = true,
    /** Counts every fault (the runtime's running totals, which outlive this activation). */
    private readonly countFault: (plugin: string, kind: PluginFaultKind) => void = () => undefined,
  ) {}

  get name(): string {
    return this.code.name;
  }

  get active(): boolean {
    return this.attached && !this.tripped;
  }

  succeeded(where: string): void {
    this.faultRuns.delete(where);
  }

  failed(where: string, error: PluginFaultError | PluginTimeoutError): void {
    const faults = (this.faultRuns.get(where) ?? 0) + 1;
    this.faultRuns.set(where, faults);
    this.countFault(this.name, error instanceof PluginTimeoutError ? 'timeout' : 'error');
    this.logger.error({ err: error, faults, where }, error.message);
    if (faults >= this.maxFaults && !this.tripped) {
      this.tripped = true;
      this.onTrip(this.name, `${faults} faults in a row in ${where}; last: ${error.message}`);
    }
  }

  attach(): void {
    for (const attach of this.attachers) this.detachers.push(attach());
    // Active before the jobs start: a job that runs on start checks it.
    this.attached = true;
    if (this.runsJobs) for (const job of this.jobs) job.start();
  }

  async detach(): Promise<void> {
    this.attached = false;
    for (const detach of this.detachers.splice(0)) detach();
    await Promise.all(this.jobs.map((job) => job.stop()));
    releasePluginCode(this.folder);
  }
}

/** How a plugin handler failed: it threw (`error`) or did not answer in time (`timeout`). */
export type PluginFaultKind = 'error' | 'timeout';

export class PluginRuntime {
  private readonly instances = new Map<string, PluginInstance>();
  /** Faults since start, by plugin and kind (hooks, subscribers, routes and jobs alike). */
  private readonly faultTotals = new Map<string, number>();
  private readonly hookTimeoutMs: number;
  private readonly jobTimeoutMs: number;
  private readonly maxFaults: number;
  private readonly locks: JobLocks;
  private onTrip: Tripped = () => undefined;

  /** Faults since start by plugin and kind (the `mes_plugin_faults_total` counter). */
  faults(): { plugin: string; kind: PluginFaultKind; count: number }[] {
    return [...this.faultTotals].map(([key, count]) => {
      const [plugin, kind] = key.split('\u0000');
      return { plugin, kind: kind as PluginFaultKind, count };
    });
  }

  constructor(private readonly options: PluginRuntimeOptions) {
    this.hookTimeoutMs = options.hookTimeoutMs ?? 5000;
    this.jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
    this.maxFaults = options.maxFaults ?? 3;
    this.locks = new JobLocks(options.database);
    removeStaleActivations(options.codeRoot);
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Who is told when a plugin trips (the manager marks it `error`). */
  onTripped(listener: Tripped): void {
    this.onTrip = listener;
  }

  /** Name, version and checksum of the code active per plugin. */
  active(): Map<string, PluginCode> {
    return new Map([...this.instances].map(([name, instance]) => [name, instance.code]));
  }

  /**
   * Loads the plugin's code as a fresh module and runs its `register(api)`; nothing is attached
   * yet. Throws PluginCodeError, or the fault/timeout of `register`.
   */
  async prepare(code: PluginCode): Promise<PluginInstance> {
    const prepared = prepareServerCode(code.dir, code.manifest, code.checksum, this.options.codeRoot);
    const logger = this.options.logger.child({ plugin: code.name, pluginVersion: code.manifest.version });
    const { module, folder } = await importPluginModule(code.name, prepared);
    const instance = new PluginInstance(
      code,
      folder,
      logger,
      this.maxFaults,
      (name, reason) => this.onTrip(name, reason),
      this.options.runsJobs ?? true,
      (plugin, kind) => {
        const key = `${plugin}\u0000${kind}`;
        this.faultTotals.set(key, (this.faultTotals.get(key) ?? 0) + 1);
      },
    );
    let registering = true;
    const api = this.apiFor(instance, () => registering);
    try {
      await runIsolated(code.name, 'register(api)', this.hookTimeoutMs, instance, () => module.register(api));
    } catch (error) {
      releasePluginCode(folder);
      throw error;
    } finally {
      registering = false;
    }
    return instance;
  }

  /** Detaches the plugin's current code (if any) and attaches the prepared one. */
  async activate(instance: PluginInstance): Promise<void> {
    await this.deactivate(instance.name);
    instance.attach();
    this.instances.set(instance.name, instance);
    instance.logger.info(`plugin ${instance.name} ${instance.code.manifest.version} active`);
  }

  /** Removes everything the plugin registered: hooks, subscribers, routes, jobs (awaiting a running one). */
  async deactivate(name: string): Promise<void> {
    const instance = this.instances.get(name);
    if (!instance) return;
    this.instances.delete(name);
    await instance.detach();
  }

  /** Drops code prepared but not activated (a failed install or upgrade). */
  discard(instance: PluginInstance): void {
    releasePluginCode(instance.folder);
  }

  async stop(): Promise<void> {
    for (const name of [...this.instances.keys()]) await this.deactivate(name);
  }

  /** Every route of the active plugins, path below `/api/plugins/<plugin>` (the API document lists them). */
  routeTable(): { plugin: string; method: string; path: string; status: number }[] {
    return [...this.instances]
      .filter(([, instance]) => instance.active)
      .flatMap(([plugin, instance]) =>
        instance.routes.map((route) => ({
          plugin,
          method: route.method,
          path: `/${route.segments.join('/')}`,
          status: route.status,
        })),
      );
  }

  /** The plugin route answering `method path` (path below `/api/plugins/<name>`), or null (404). */
  route(plugin: string, method: string, path: string): ResolvedRoute | null {
    const instance = this.instances.get(plugin);
    if (!instance?.active) return null;
    const segments = splitPath(path);
    for (const route of instance.routes) {
      if (route.method !== method) continue;
      const params = matchRoute(route.segments, segments);
      if (!params) continue;
      return {
        plugin,
        params,
        status: route.status,
        run: (work) =>
          runIsolated(plugin, `route ${method} ${path}`, this.hookTimeoutMs, instance, () =>
            work(route.handler),
          ),
      };
    }
    return null;
  }

  private apiFor(instance: PluginInstance, registering: () => boolean): PluginApi {
    const { service, workflows, consumers, registry } = this.options;
    const name = instance.name;
    const timeout = this.hookTimeoutMs;
    const register = (what: string, attach: () => () => void) => {
      if (!registering())
        throw new Error(`plugin ${name}: ${what} must be registered while register(api) runs`);
      instance.attachers.push(attach);
    };
    const isolated = <T>(where: string, work: () => T | Promise<T>) =>
      runIsolated(name, where, timeout, instance, work);
    // The change has committed, so a failing after-hook is never the caller's error: faults are
    // logged and counted by runIsolated, a refusal (an ApiError) is logged here.
    const runAfterCommitHook = (where: string, work: () => unknown) =>
      isolated(where, work).catch((error: unknown) => {
        if (error instanceof PluginFaultError || error instanceof PluginTimeoutError) return;
        instance.logger.warn(
          { err: error, plugin: name, where },
          `plugin ${name}: ${where} refused after the change committed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    const systemContext = (tenantId = this.options.defaultTenant): RequestContext =>
      createRequestContext(registry, {
        tenantId,
        userId: `plugin:${name}`,
        traceId: `plugin-${name}-${randomUUID()}`,
      });
    const writeSelector = (selector: WriteSelector): HookSelector => ({
      entity: selector.entity ?? '*',
      action: selector.action ?? '*',
    });
    // After the core's hooks of every phase (HOOK_STAGES).
    const inPluginStage = { stage: 'plugin' } as const;

    return {
      plugin: { name, version: instance.code.manifest.version },
      logger: {
        debug: (message, fields) => instance.logger.debug(fields ?? {}, message),
        info: (message, fields) => instance.logger.info(fields ?? {}, message),
        warn: (message, fields) => instance.logger.warn(fields ?? {}, message),
        error: (message, fields) => instance.logger.error(fields ?? {}, message),
      },
      hooks: {
        beforeWrite: (selector, hook) =>
          register('hooks', () =>
            service.hooks.on(
              'before',
              writeSelector(selector),
              async (args) => {
                if (!instance.active) return;
                await isolated(`before ${args.action} ${args.entity}`, () =>
                  hook({
                    entity: args.entity,
                    action: args.action,
                    ctx: args.ctx,
                    body: args.body,
                    current: args.current,
                    id: args.id,
                    transition: transitionOf(args.transition),
                  }),
                );
              },
              inPluginStage,
            ),
          ),
        afterWrite: (selector, hook) =>
          register('hooks', () =>
            service.hooks.on(
              'after',
              writeSelector(selector),
              async (args) => {
                if (!instance.active) return;
                await runAfterCommitHook(`after ${args.action} ${args.entity}`, () =>
                  hook({
                    entity: args.entity,
                    action: args.action,
                    ctx: args.ctx,
                    record: args.record,
                    previous: args.previous,
                    transition: transitionOf(args.transition),
                  }),
                );
              },
              inPluginStage,
            ),
          ),
        beforeTransition: (selector, hook) =>
          register('hooks', () => {
            const wanted = transitionSelector(selector);
            return service.hooks.on(
              'inTransaction',
              { entity: wanted.entity, action: 'transition' },
              async ({ tx, ctx, entity, record, previous, transition }) => {
                if (!instance.active || !transition || !wanted.matches(transition.action)) return;
                await isolated(`transition ${transition.action} of ${entity}`, () =>
                  hook({
                    entity,
                    action: transition.action,
                    from: transition.from,
                    to: transition.to,
                    ctx,
                    actorId: ctx.userId ?? 'system',
                    before: previous ?? {},
                    after: record,
                    tx,
                  }),
                );
              },
              inPluginStage,
            );
          }),
        afterTransition: (selector, hook) =>
          register('hooks', () => {
            const wanted = transitionSelector(selector);
            return service.hooks.on(
              'after',
              { entity: wanted.entity, action: 'transition' },
              async ({ ctx, entity, record, transition }) => {
                if (!instance.active || !transition || !wanted.matches(transition.action)) return;
                const { action, from, to } = transition;
                await runAfterCommitHook(`after transition ${action} of ${entity}`, () =>
                  hook({ ctx, entity, id: Number(record.id), action, from, to, record }),
                );
              },
              inPluginStage,
            );
          }),
      },
      events: {
        subscribe: (subscription, handler) => {
          if (!/^[a-z][a-z0-9_-]*$/.test(subscription.name))
            throw new Error(`plugin ${name}: subscriber name '${subscription.name}' must be lower-case`);
          register('subscribers', () => {
            const consumer: EventConsumer = {
              name: `plugin:${name}:${subscription.name}`,
              types: [...subscription.types],
              handle: (event, tx) =>
                isolated(`subscriber ${subscription.name} on ${event.type}`, () =>
                  handler(event, { tx, ctx: systemContext(event.tenant) }),
                ),
            };
            consumers.push(consumer);
            return () => {
              const index = consumers.indexOf(consumer);
              if (index >= 0) consumers.splice(index, 1);
            };
          });
        },
      },
      routes: {
        add: (method, path, handler, options) =>
          this.addRoute(instance, registering, method, path, handler, options),
        get: (path, handler, options) => this.addRoute(instance, registering, 'GET', path, handler, options),
        post: (path, handler, options) =>
          this.addRoute(instance, registering, 'POST', path, handler, options),
      },
      jobs: {
        schedule: (schedule, run) => {
          if (!registering())
            throw new Error(`plugin ${name}: jobs must be scheduled while register(api) runs`);
          instance.jobs.push(this.job(instance, schedule, run));
          const handlers = this.options.jobHandlers;
          if (handlers) register('jobs', () => this.jobHandler(instance, handlers, schedule, run));
        },
      },
      // The record-change path with the server's rights: a hook's context may carry the requesting
      // user's row and field rules, which bind what that user sends, not what the plugin does.
      entities: {
        list: (entity, query, ctx) =>
          service.list(entity, service.parseListQuery(entity, query, ctx.model), ctx),
        get: (entity, id, ctx) => service.get(entity, id, ctx),
        getByKey: (entity, key, ctx) => service.getByKey(entity, key, ctx),
        create: (entity, body, ctx) => service.create(entity, body, engineContext(ctx)),
        update: (entity, id, body, ctx) => service.update(entity, id, body, engineContext(ctx)),
        remove: (entity, id, ctx) => service.remove(entity, id, engineContext(ctx)),
        bulk: (entity, request, ctx) => service.bulk(entity, request, engineContext(ctx)),
        listAll: (entity, filter, ctx) => listAll(service, entity, filter, ctx),
        setSystemFields: (tx, ctx, entity, where, values) =>
          setSystemFields(service, tx, ctx, entity, where, values),
      },
      workflows: {
        fire: async (ctx, entity, id, action, body = {}) => {
          // The plugin acts with the server's rights on the user's behalf: not bound by that user's
          // row and field rules, like its all-permission actor.
          const actor = { userId: ctx.userId ?? `plugin:${name}`, roles: [], hasPermission: () => true };
          const result = await workflows.fire(engineContext(ctx), actor, entity, id, action, body);
          return { status: result.status, from: result.from, to: result.to, record: result.record };
        },
      },
      errors: pluginErrors,
      systemContext,
    };
  }

  private addRoute(
    instance: PluginInstance,
    registering: () => boolean,
    method: PluginHttpMethod,
    path: string,
    handler: PluginRouteHandler,
    options: PluginRouteOptions = {},
  ): void {
    const name = instance.name;
    if (!registering()) throw new Error(`plugin ${name}: routes must be added while register(api) runs`);
    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      throw new Error(`plugin ${name}: route method ${method} is not supported`);
    if (
      !path.startsWith('/') ||
      !splitPath(path).every((s) => /^(:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~-]+)$/.test(s))
    )
      throw new Error(
        `plugin ${name}: route path '${path}' must start with / and hold plain or :param segments`,
      );
    const status = options.status ?? (method === 'POST' ? 201 : 200);
    instance.routes.push({ method, segments: splitPath(path), handler, status });
  }

  private job(
    instance: PluginInstance,
    schedule: JobSchedule,
    run: Parameters<PluginApi['jobs']['schedule']>[1],
  ): ScheduledJob {
    const name = instance.name;
    if (!/^[a-z][a-z0-9_-]*$/.test(schedule.name))
      throw new Error(`plugin ${name}: job name '${schedule.name}' must be lower-case`);
    if ((schedule.everyMs === undefined) === (schedule.cron === undefined))
      throw new Error(`plugin ${name}: job ${schedule.name} needs exactly one of everyMs and cron`);
    if (
      schedule.everyMs !== undefined &&
      (!Number.isFinite(schedule.everyMs) || schedule.everyMs < MIN_INTERVAL_MS)
    )
      throw new Error(`plugin ${name}: job ${schedule.name} everyMs must be at least ${MIN_INTERVAL_MS}`);
    const cron = schedule.cron !== undefined ? parseCron(schedule.cron) : undefined;
    return new ScheduledJob(
      {
        plugin: name,
        name: schedule.name,
        everyMs: schedule.everyMs,
        cron,
        runOnStart: schedule.runOnStart ?? false,
        run: async (scheduledAt, signal) => {
          if (!instance.active) return;
          const ctx = createRequestContext(this.options.registry, {
            tenantId: this.options.defaultTenant,
            userId: `plugin:${name}`,
            traceId: `plugin-${name}-job-${schedule.name}-${randomUUID()}`,
          });
          await runIsolated(name, `job ${schedule.name}`, this.jobTimeoutMs, instance, () =>
            run({ ctx, scheduledAt, signal }),
          );
        },
        onError: (error) =>
          instance.logger.warn({ err: error, job: schedule.name }, `job ${schedule.name} run failed`),
      },
      this.locks,
    );
  }

  /**
   * Offers the plugin's scheduled job as the job handler `<plugin>.<job name>` until the plugin is
   * detached. A run has the job's context for the run's tenant and runs isolated like the plugin's
   * own schedule (faults counted, time limit); a name another handler holds is left to that one.
   */
  private jobHandler(
    instance: PluginInstance,
    handlers: JobHandlers,
    schedule: JobSchedule,
    run: Parameters<PluginApi['jobs']['schedule']>[1],
  ): () => void {
    const plugin = instance.name;
    const name = pluginJobHandlerName(plugin, schedule.name);
    if (handlers.get(name)) {
      instance.logger.warn(`plugin ${plugin}: job handler ${name} is already registered; not offered`);
      return () => undefined;
    }
    const handler: JobHandler = {
      description: schedule.description ?? `Scheduled job ${schedule.name} of plugin ${plugin}`,
      plugin,
      run: async ({ tenantId, scheduledAt, signal }) => {
        if (!instance.active) throw new Error(`plugin ${plugin} is not active`);
        const ctx = createRequestContext(this.options.registry, {
          tenantId,
          userId: `plugin:${plugin}`,
          traceId: `plugin-${plugin}-job-${schedule.name}-${randomUUID()}`,
        });
        await runIsolated(plugin, `job ${schedule.name}`, this.jobTimeoutMs, instance, () =>
          run({ ctx, scheduledAt, signal }),
        );
        return null;
      },
    };
    try {
      handlers.register(name, handler);
    } catch (error) {
      instance.logger.warn({ err: error }, `plugin ${plugin}: job handler ${name} not offered`);
      return () => undefined;
    }
    return () => {
      if (handlers.get(name) === handler) handlers.unregister(name);
    };
  }
}

/** The job handler name of a plugin's scheduled job: `<plugin>.<job name>`. */
export function pluginJobHandlerName(plugin: string, job: string): string {
  return `${plugin}.${job}`;
}

const pluginErrors: PluginErrors = {
  validation: (errors, message) =>
    new ValidationError(
      errors.map((e) => ({
        field: e.field,
        path: e.path ?? `/${e.field}`,
        rule: e.rule,
        message: e.message,
      })),
      message,
    ),
  businessRule: (rule, message) =>
    new BusinessRuleError(message, { errors: [{ field: rule, path: '', rule, message }] }),
  notFound: (message) => new ApiError('NOT_FOUND', 404, message),
  conflict: (message) => new ApiError('CONFLICT', 409, message),
  badRequest: (message) => new BadRequestError(message),
  forbidden: (message) => new ForbiddenError(message),
};

function transitionSelector(selector: TransitionSelector): {
  entity: string;
  matches: (action: string) => boolean;
} {
  const wanted = selector.action ?? '*';
  return { entity: selector.entity ?? '*', matches: (action) => wanted === '*' || wanted === action };
}

/** What a plugin's write hook learns of a transition. */
function transitionOf(transition: TransitionChange | undefined): PluginTransition | undefined {
  if (!transition) return undefined;
  const { workflow, action, from, to } = transition;
  return { workflow, action, from, to };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function matchRoute(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) params[pattern[i].slice(1)] = decodeURIComponent(segments[i]);
    else if (pattern[i] !== segments[i]) return null;
  }
  return params;
}
