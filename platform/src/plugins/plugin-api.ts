/**
 * The API a plugin's server code receives. A plugin ships `server/index.ts` (built to JS) exporting
 *
 * ```ts
 * import type { PluginApi } from '../../../platform/src/plugins/plugin-api';
 * export function register(api: PluginApi): void | Promise<void> { ... }
 * ```
 *
 * (a type-only import: nothing of the platform is bundled into the plugin). Everything registered
 * through `api` belongs to the plugin: it is removed when the plugin is disabled, uninstalled or
 * marked `error`, and replaced by what the new module registers on upgrade (loaded as a fresh module
 * instance). Every handler runs under a time limit (`PLUGIN_HOOK_TIMEOUT_MS`, default 5000 ms): a
 * handler that throws something other than `api.errors.*`, or hangs, fails only the request it ran
 * for (502 `PLUGIN_FAILED` / 504 `PLUGIN_TIMEOUT`, the message naming the plugin), and after
 * `PLUGIN_MAX_FAULTS` such faults in a row of one handler the plugin is marked `error` and its handlers stop running.
 */
import type { EventEnvelope } from '../events/envelope';
import type { SqlExecutor } from '../data/database';
import type { BulkRequest, BulkResult, EntityRecord, ListResult, RequestContext } from '../crud/types';

export type { EntityRecord, EventEnvelope, RequestContext, SqlExecutor };

/** What `server/index` exports. */
export interface PluginModule {
  register(api: PluginApi): void | Promise<void>;
}

export interface PluginApi {
  /** The plugin's name and version from plugin.yaml. */
  readonly plugin: { readonly name: string; readonly version: string };
  /** Structured logs tagged with the plugin's name. */
  readonly logger: PluginLogger;
  /** Before/after hooks on entity writes and workflow transitions. */
  readonly hooks: PluginHooks;
  /** Idempotent subscribers to the outbox's domain events. */
  readonly events: PluginEvents;
  /** HTTP routes under `/api/plugins/<name>/` (404 while the plugin is not enabled). */
  readonly routes: PluginRoutes;
  /** Scheduled jobs (stopped on disable/uninstall, never overlapping themselves). */
  readonly jobs: PluginJobs;
  /** EntityService operations (validation, permissions' data scope, hooks, audit, outbox) as `ctx`. */
  readonly entities: PluginEntities;
  /** Workflow actions (`approve`, `order`...) on a record, as `ctx`'s user. */
  readonly workflows: PluginWorkflows;
  /** Errors the caller sees as they are (4xx in the standard envelope), not counted as plugin faults. */
  readonly errors: PluginErrors;
  /** A context for work no user asked for (jobs, subscribers): user `plugin:<name>`, the current Model. */
  systemContext(tenantId?: string): RequestContext;
}

export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Every kind of record change, whatever its door (API, bulk, import, domain rules, other plugins). */
export type PluginWriteAction = 'create' | 'update' | 'delete' | 'restore' | 'transition';

/** The workflow transition a change applies (action `transition`). */
export interface PluginTransition {
  workflow: string;
  /** The transition's action name (`approve`). */
  action: string;
  from: string;
  to: string;
}

/** Which writes a hook runs on; `*` (default) matches every entity or action. */
export interface WriteSelector {
  entity?: string | '*';
  action?: PluginWriteAction | '*';
}

export interface BeforeWriteArgs {
  entity: string;
  action: PluginWriteAction;
  ctx: RequestContext;
  /**
   * The validated body (create, update) or the fields a transition writes, which the hook may change
   * in place; `{}` for delete and restore.
   */
  body: EntityRecord;
  /** The stored record for every action but create; null for create. */
  current: EntityRecord | null;
  id: number | null;
  /** Set for action `transition`. */
  transition?: PluginTransition;
}

export interface AfterWriteArgs {
  entity: string;
  action: PluginWriteAction;
  ctx: RequestContext;
  record: EntityRecord;
  previous: EntityRecord | null;
  /** Set for action `transition`. */
  transition?: PluginTransition;
}

/** Which transitions a hook runs on; `*` (default) matches every entity or action. */
export interface TransitionSelector {
  entity?: string | '*';
  action?: string | '*';
}

/** Inside the transition's transaction, after the record changed. */
export interface InTransitionArgs {
  entity: string;
  action: string;
  from: string;
  to: string;
  ctx: RequestContext;
  actorId: string;
  /** The record before and after the transition's updates. */
  before: EntityRecord;
  after: EntityRecord;
  /** The transition's transaction: writes here commit or roll back with it. */
  tx: SqlExecutor;
}

/** After the transition committed. */
export interface AfterTransitionArgs {
  entity: string;
  id: number;
  action: string;
  from: string;
  to: string;
  ctx: RequestContext;
  /** The record as the transition left it. */
  record: EntityRecord;
}

export interface PluginHooks {
  /**
   * Every change of a matching record (create, update, delete, restore, transition; each row of a
   * bulk write), inside its transaction after validation and the read of the stored record, before
   * anything is written (the engine's `before` phase); may change `body` or refuse with
   * `api.errors`, which rolls the change back.
   */
  beforeWrite(selector: WriteSelector, hook: (args: BeforeWriteArgs) => void | Promise<void>): void;
  /** Every change of a matching record, after commit; a failure is logged and counted as a fault but the write stands. */
  afterWrite(selector: WriteSelector, hook: (args: AfterWriteArgs) => void | Promise<void>): void;
  /**
   * Inside the transition's transaction, after the record changed (the engine's `inTransaction`
   * phase, before the transition's audit record and events); throwing rolls the transition back.
   */
  beforeTransition(
    selector: TransitionSelector,
    hook: (args: InTransitionArgs) => void | Promise<void>,
  ): void;
  /** After the transition committed; a failure is logged and counted as a fault but the transition stands. */
  afterTransition(
    selector: TransitionSelector,
    hook: (args: AfterTransitionArgs) => void | Promise<void>,
  ): void;
}

export interface SubscriberContext {
  /** The transaction that records the event as processed by this subscriber (exactly-once DB effects). */
  tx: SqlExecutor;
  /** A system context of the event's tenant. */
  ctx: RequestContext;
}

export interface PluginEvents {
  /**
   * Subscribes to events (`goods_receipt.received`, `work_order.*`). `name` is unique within the
   * plugin; the idempotency key is (`<plugin>:<name>`, event id). A failing handler is retried by the
   * outbox like any consumer.
   */
  subscribe(
    subscription: { name: string; types: readonly string[] },
    handler: (event: EventEnvelope, context: SubscriberContext) => void | Promise<void>,
  ): void;
}

export type PluginHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PluginRequest {
  method: PluginHttpMethod;
  /** Path below `/api/plugins/<name>`, e.g. `/suppliers/7/kpi`. */
  path: string;
  /** `:param` values of the route pattern. */
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** The caller's context (tenant, user, trace id, current Model). */
  ctx: RequestContext;
  /** The signed-in user and their roles; null when authentication is off. */
  user: { id: string; roles: readonly string[] } | null;
}

export interface PluginRouteOptions {
  /** Status of a successful answer; default 200 (201 for POST). */
  status?: number;
}

/** A route answers with `{ code: 'OK', data: <returned value> }`; `api.errors` give 4xx answers. */
export type PluginRouteHandler = (request: PluginRequest) => unknown;

export interface PluginRoutes {
  /** `path` starts with `/` and may hold `:param` segments: `/suppliers/:id/kpi`. */
  add(
    method: PluginHttpMethod,
    path: string,
    handler: PluginRouteHandler,
    options?: PluginRouteOptions,
  ): void;
  get(path: string, handler: PluginRouteHandler, options?: PluginRouteOptions): void;
  post(path: string, handler: PluginRouteHandler, options?: PluginRouteOptions): void;
}

export interface JobContext {
  /** A system context of the default tenant. */
  ctx: RequestContext;
  /** When the run was due. */
  scheduledAt: Date;
  /** Aborted when the plugin is disabled, uninstalled or upgraded while the run is going on. */
  signal: AbortSignal;
}

export interface JobSchedule {
  /**
   * Unique within the plugin. The job is also the job handler `<plugin>.<name>` that scheduled
   * `job` records may name (Configuration → Scheduled jobs), while the plugin is enabled.
   */
  name: string;
  /** What a run does, shown in the handler picker of scheduled jobs. */
  description?: string;
  /** Runs every `everyMs` milliseconds (minimum 1000)... */
  everyMs?: number;
  /** ...or on a 5-field cron expression in UTC (`0 2 * * *`: minute hour day-of-month month day-of-week). */
  cron?: string;
  /** Also run once right after registration; default false. */
  runOnStart?: boolean;
}

export interface PluginJobs {
  /** A run that is still going on when the next is due skips that turn (never overlapping). */
  schedule(schedule: JobSchedule, run: (context: JobContext) => void | Promise<void>): void;
}

export interface PluginEntities {
  /**
   * `query` as the querystring of `GET /api/<entity>` would be parsed:
   * `{ filter: { status: 'OPEN' }, sort: '-plannedStart', pageSize: 100 }`.
   */
  list(entity: string, query: Record<string, unknown>, ctx: RequestContext): Promise<ListResult>;
  get(entity: string, id: number, ctx: RequestContext): Promise<EntityRecord>;
  getByKey(entity: string, key: string, ctx: RequestContext): Promise<EntityRecord>;
  create(entity: string, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord>;
  /** `body.version` is required (optimistic lock). */
  update(entity: string, id: number, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord>;
  remove(entity: string, id: number, ctx: RequestContext): Promise<void>;
  bulk(entity: string, request: BulkRequest, ctx: RequestContext): Promise<BulkResult>;
  /** Every record matching `filter` (querystring shape, API names), read page by page (keyset). */
  listAll(entity: string, filter: Record<string, unknown>, ctx: RequestContext): Promise<EntityRecord[]>;
  /**
   * Sets system-maintained (readonly) fields of rows matching `where` (metadata field names or `id`)
   * inside the caller's transaction, bypassing client validation but not the record-change path:
   * each row's hooks, audit and outbox see the change (a new version). Only for values the plugin
   * derives (roll-ups, links it creates), never for user input, which goes through `create`/`update`.
   */
  setSystemFields(
    tx: SqlExecutor,
    ctx: RequestContext,
    entity: string,
    where: Record<string, unknown>,
    values: Record<string, unknown>,
  ): Promise<void>;
}

export interface WorkflowActionResult {
  status: 'APPLIED' | 'PENDING_APPROVAL' | 'REJECTED';
  from: string;
  to: string;
  record: EntityRecord;
}

export interface PluginWorkflows {
  /**
   * Fires `action` on the record in the name of `ctx.userId` with the plugin's authority: permission
   * checks pass, the transition's rules and approvals apply as for anyone.
   */
  fire(
    ctx: RequestContext,
    entity: string,
    id: number,
    action: string,
    body?: { reason?: string; fields?: EntityRecord; version?: number },
  ): Promise<WorkflowActionResult>;
}

/** One failing field (`field`, JSON `path`, `rule`, `message`). */
export interface PluginFieldError {
  field: string;
  rule: string;
  message: string;
  path?: string;
}

export interface PluginErrors {
  /** 422 VALIDATION_FAILED. */
  validation(errors: PluginFieldError[], message?: string): Error;
  /** 422 BUSINESS_RULE naming the rule. */
  businessRule(rule: string, message: string): Error;
  /** 404 NOT_FOUND. */
  notFound(message: string): Error;
  /** 409 CONFLICT. */
  conflict(message: string): Error;
  /** 400 BAD_REQUEST. */
  badRequest(message: string): Error;
  /** 403 FORBIDDEN. */
  forbidden(message: string): Error;
}
