/**
 * Startup in order: configuration → DataSource → pending migrations → load and validate metadata →
 * compile the Model → registry and EntityService → demo plant when the database is empty → HTTP app
 * → listen. Each step logs its duration; any failure stops startup with a message naming the cause.
 */
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream, Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { compileModel, type Model } from '../../../metadata/src/model';
import { countErrors } from '../../../metadata/src/diagnostic';
import { validateMetadata } from '../../../metadata/src/validator';
import { AuditSealer } from '../audit/audit-sealer';
import { loadAppConfig, type AppConfig } from '../config/app-config';
import { processRole, runsBackgroundWork, type ProcessRole } from '../config/process-role';
import { EntityService } from '../crud/entity.service';
import { createRequestContext } from '../crud/request-context';
import { EngineDatabase, type SqlExecutor } from '../data/database';
import type { EntityOperations, RequestContext } from '../crud/types';
import { createDataSource, describeDatabase, hasReplicas, loadDatabaseConfig } from '../data/connection';
import { migrationFilesGlob, runMigrations } from '../data/migrations/migration-runner';
import { withStartupLock } from '../data/migrations/startup-lock';
import { placedRunner, placeModelTables } from '../data/table-placement';
import { ModelRegistry } from '../kernel/model-registry';
import { engineVersion, pluginCatalog } from '../plugins/engine-version';
import { PluginManager } from '../plugins/plugin-manager';
import { PluginRuntime } from '../plugins/plugin-runtime';
import { pluginSettings } from '../plugins/plugin-settings';
import { MetadataSync } from '../kernel/metadata-sync';
import { FormOverlayStore } from '../studio/form-overlay-store';
import { StudioService } from '../studio/studio.service';
import { StudioVersionStore } from '../studio/studio-version-store';
import { createLiveChannel, type LiveChannel } from '../events/live-channel';
import { S3FileStorage } from '../files/s3-file-storage';
import { checkFileStorage, fileStorageFromEnv } from '../files/storage-config';
import { createLogger } from '../ops/logger';
import { projectRoot } from '../config/project-root';
import type { ReadinessCheck } from '../ops/health.controller';
import { assertProductionSecrets } from '../security/production-secrets';
import { bootstrapSecurity } from '../security/bootstrap-security';
import type { SecurityHttpOptions } from '../security/http/register-security';
import { loadKeyRing } from '../security/crypto/key-ring';
import { installSensitiveKeyRing } from '../security/crypto/sensitive-fields';
import type { BackgroundTask } from './background-tasks';
import { coreJobHandlers } from '../jobs/job-handlers';
import { startAutomation, type AutomationRuntime } from './automation-runtime';
import { startEventRuntime } from './event-runtime';
import { startHealthServer } from './health-server';
import { dashboardInvalidationConsumer } from '../bi/dashboard-invalidation';
import { prepareRollups } from '../bi/rollup-consumer';
import { createHttpApp } from './http-app';
import { databaseCheck, drainCheck, fileStoreCheck, redisCheck } from './readiness';
import { readYourWritesWindow, recentWriters } from './read-your-writes';
import { wireWorkflowsAndEvents } from './workflow-runtime';
import type { WorkflowService } from '../workflow/workflow.service';

/** The project root: core modules (metadata/modules) then the plugins, as `mes validate` reads them. */
export const DEFAULT_METADATA_ROOTS = [projectRoot()];

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Metadata files or folders; default the project's core modules and plugins. */
  metadataRoots?: string[];
  /** Listen on the configured port (default true); tests use `app.inject` instead. */
  listen?: boolean;
  /** Log destination (default stdout). */
  logDestination?: DestinationStream;
  /**
   * Called after migrations with the compiled Model, before the app serves: tests use it to create
   * the tables of a fixture Model that has no migration.
   */
  prepareSchema?: (dataSource: DataSource, model: Model) => Promise<void>;
  /**
   * The demo plant seeded into an empty database when `SEED_DEMO` is on. Injected by the entry point
   * (`mes serve`): the platform itself knows no seed data.
   */
  demoPlant?: DemoPlant;
  /** What this process does; default MES_ROLE (`all`). `startWorker` runs the `worker` role. */
  role?: ProcessRole;
  /** Started only where the role runs background work (`mes worker`, or `MES_ROLE=all`). */
  backgroundTasks?: readonly BackgroundTask[];
}

/** Demo data for an empty database, written through the engine. */
export interface DemoPlant {
  /** Whether the tenant holds nothing the seed could disturb. */
  isNeeded(operations: EntityOperations, ctx: RequestContext): Promise<boolean>;
  seed(
    operations: EntityOperations,
    sql: SqlExecutor,
    ctx: RequestContext,
    log: (message: string) => void,
  ): Promise<{ counts: Record<string, number>; elapsedMs: number }>;
  /**
   * The plant at work, run on every start with `SEED_DEMO` once the engine is wired (domain hooks,
   * workflows, plugin code, demo users): records made as the demo users make them, through the
   * record-change path and workflow actions. Decides itself what is missing (idempotent).
   */
  atWork?(work: DemoWork): Promise<Record<string, number>>;
}

/** What the demo plant at work may use: the engine's write path, workflows and plugin manager. */
export interface DemoWork {
  service: EntityService;
  workflows: WorkflowService;
  plugins: Pick<PluginManager, 'list' | 'install'>;
  registry: ModelRegistry;
  tenantId: string;
  /** The server's environment (settings of the demo, such as `MES_DEMO_PLUGINS`). */
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

export interface RunningServer {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  /** The engine's statements and transactions (on SQLite, queued one after the other). */
  database: EngineDatabase;
  registry: ModelRegistry;
  service: EntityService;
  plugins: PluginManager;
  /** Authentication and hardening of the HTTP app (the same options serve any further app on this engine). */
  security: SecurityHttpOptions;
  logger: Logger;
  /** Messages pushed to the callers' `GET /api/live` streams, on every instance. */
  live: LiveChannel;
  /** Rules, timers, notifications. */
  automation: AutomationRuntime;
  /** Set when listening. */
  url: string | null;
  /**
   * Readiness answers 503 from now on, then after SHUTDOWN_DRAIN_MS (time for a load balancer to
   * notice) stops accepting requests, waits for in-flight ones and closes the database and Redis;
   * idempotent.
   */
  close(): Promise<void>;
}

/** A `mes worker` process: the engine's background work, with only health routes over HTTP. */
export type RunningWorker = Omit<RunningServer, 'app' | 'security'>;

/** The engine without its API: what every role shares. */
interface Engine extends RunningWorker {
  readinessChecks: ReadinessCheck[];
  /** Turns readiness to 503 (the first step of a shutdown). */
  drain(): void;
  /** Closes what the engine opened, in reverse order. */
  cleanups: (() => Promise<void>)[];
  security: Awaited<ReturnType<typeof bootstrapSecurity>>;
  workflows: ReturnType<typeof wireWorkflowsAndEvents>;
  /** The Metadata Studio's change sets and publishing, and the tenants' form overlays. */
  studio: StudioService;
  formOverlays: FormOverlayStore;
  /** The plugins' server code (its fault totals feed the metrics). */
  pluginRuntime: PluginRuntime;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const role = options.role ?? processRole(env);
  if (role === 'worker') throw new Error('MES_ROLE=worker runs through `mes worker` (startWorker)');
  // Before the database: a misconfigured file store stops startup naming the variable.
  const files = fileStorageFromEnv(env, projectRoot());
  const engine = await startEngine(options, role);
  const { config, logger, registry, database, security, workflows, service, plugins } = engine;
  try {
    if (files instanceof S3FileStorage) {
      engine.cleanups.push(async () => files.destroy());
      await checkFileStorage(files, (message) => logger.warn(message));
      engine.readinessChecks.push(fileStoreCheck(files));
    }
    logger.info({ storage: files.kind, location: files.location }, 'attached files stored');
    const writers = hasReplicas(engine.dataSource)
      ? recentWriters(config.redisUrl, env.QUEUE_PREFIX?.trim() || 'mes', readYourWritesWindow(env))
      : undefined;
    if (writers) engine.cleanups.push(() => writers.close());
    const app = await createHttpApp(
      {
        config,
        operations: security.operations,
        models: registry,
        readinessChecks: engine.readinessChecks,
        plugins,
        security: security.http,
        workflows,
        traceDatabase: database,
        records: service,
        files,
        studio: engine.studio,
        formOverlays: engine.formOverlays,
        metrics: {
          token: env.MES_METRICS_TOKEN?.trim() || null,
          production: env.NODE_ENV === 'production',
          database,
          model: () => registry.current(),
          pluginFaults: () => engine.pluginRuntime.faults(),
        },
        recentWriters: writers,
        biRollups: env.MES_BI_ROLLUPS?.trim() !== 'off',
        live: engine.live,
        automation: engine.automation,
      },
      logger,
    );
    engine.cleanups.push(() => app.close());
    let url: string | null = null;
    if (options.listen ?? true) {
      await app.listen({ port: config.port, host: config.host });
      url = listeningUrl(config, boundPort(app.getHttpServer().address()));
      logger.info({ url, role }, `BTC MES listening on ${url}`);
    }
    return {
      ...publicPart(engine),
      app,
      security: security.http,
      url,
      close: drainingClose(engine),
    };
  } catch (error) {
    await closeAll(engine.cleanups);
    throw error;
  }
}

/** The `worker` role: event consumers, plugin subscribers and jobs, background tasks; `/health` only. */
export async function startWorker(options: StartOptions = {}): Promise<RunningWorker> {
  const engine = await startEngine(options, 'worker');
  try {
    let url: string | null = null;
    if (options.listen ?? true) {
      const health = await startHealthServer(engine.config, engine.readinessChecks);
      engine.cleanups.push(() => health.close());
      url = listeningUrl(engine.config, health.port);
      engine.logger.info({ url, role: 'worker' }, `BTC MES worker health on ${url}/health`);
    }
    return { ...publicPart(engine), url, close: drainingClose(engine) };
  } catch (error) {
    await closeAll(engine.cleanups);
    throw error;
  }
}

async function startEngine(options: StartOptions, role: ProcessRole): Promise<Engine> {
  const env = options.env ?? process.env;
  assertProductionSecrets(env);
  const config = loadAppConfig(env);
  const databaseConfig = loadDatabaseConfig(env);
  const logger = createLogger(config.logLevel, options.logDestination, config.logFormat);
  const step = stepLogger(logger);
  const background = runsBackgroundWork(role);
  // Before anything writes: sensitive fields are sealed with this ring (a key is generated on first start).
  installSensitiveKeyRing(loadKeyRing(env, undefined, (message) => logger.warn(message)));

  const dataSource = await step('database connected', () =>
    createDataSource(databaseConfig, { migrations: [migrationFilesGlob()], createDatabase: true }),
  );
  const cleanups: (() => Promise<void>)[] = [() => dataSource.destroy()];
  try {
    // Core metadata plus the plugins enabled in ext_plugin; other plugins under the roots are only available.
    const roots = options.metadataRoots ?? DEFAULT_METADATA_ROOTS;
    const pluginConfig = pluginSettings(env, projectRoot());
    const database = new EngineDatabase(dataSource);
    const studioVersions = new StudioVersionStore(dataSource);
    const formOverlays = new FormOverlayStore(dataSource);
    const plugins = new PluginManager({
      studio: studioVersions,
      database,
      roots,
      catalog: pluginCatalog(roots),
      engineVersion: engineVersion(),
      storeRoot: pluginConfig.storeRoot,
      uploadLimit: pluginConfig.uploadLimit,
      uploads: pluginConfig.uploads,
      trustedKeys: pluginConfig.trustedKeys,
    });
    const service = new EntityService(database);
    // Instances of a cluster started together migrate and seed one at a time.
    const { registry, security } = await withStartupLock(dataSource, async () => {
      const applied = await step('migrations applied', () => runMigrations(dataSource));
      if (applied.length > 0) logger.info({ migrations: applied }, `${applied.length} migration(s) applied`);
      const model = await step('metadata compiled', () => plugins.initialModel());
      placeModelTables(dataSource, model);
      logger.info({ entities: model.entities.size, modelHash: model.hash, role }, 'model ready');
      if (options.prepareSchema) await options.prepareSchema(dataSource, model);
      await warnAboutMissingTables(dataSource, model, logger);
      const registry = new ModelRegistry(model);
      registry.subscribe((next) => placeModelTables(dataSource, next));
      plugins.bind(registry);
      if (config.seedDemo && options.demoPlant)
        await seedIfEmpty(options.demoPlant, service, database, registry, config, logger);
      const security = await bootstrapSecurity({
        env,
        service,
        database,
        registry,
        defaultTenant: config.defaultTenant,
        seedDemo: config.seedDemo,
        logger,
      });
      return { registry, security };
    });
    cleanups.push(() => security.close());
    const live = createLiveChannel(config.redisUrl, env.QUEUE_PREFIX?.trim() || 'mes', (error) =>
      logger.warn({ err: error }, 'live channel'),
    );
    cleanups.push(() => live.close());
    const unfollow = security.invalidations.follow(live);
    cleanups.push(() => Promise.resolve(unfollow()));
    await step('rollups ready', () => prepareRollups(database, registry.current()));
    const events = startEventRuntime(
      database,
      config.redisUrl,
      env,
      logger,
      () => registry.current(),
      background,
    );
    cleanups.push(() => events.stop());
    events.consumers.push(dashboardInvalidationConsumer(() => registry.current(), live));
    const sealer = new AuditSealer(database, {
      onError: (error) => logger.error({ err: error }, 'audit sealing failed'),
    });
    sealer.start();
    cleanups.push(() => sealer.stop());
    const workflows = wireWorkflowsAndEvents(
      service,
      database,
      () => {
        events.notify();
        sealer.notify();
      },
      security.credentials,
    );
    // The job handlers of scheduled `job` records: the core's, and the scheduled jobs of active plugins.
    const jobHandlers = coreJobHandlers();
    const automation = startAutomation({
      jobHandlers,
      database,
      service,
      operations: security.operations,
      workflows,
      registry,
      live,
      env,
      logger,
      defaultTenant: config.defaultTenant,
      background,
    });
    cleanups.push(() => automation.stop());
    // The server code of the enabled plugins: hooks, subscribers, routes and jobs.
    const pluginRuntime = new PluginRuntime({
      ...pluginConfig,
      database,
      service,
      workflows,
      consumers: events.consumers,
      registry,
      logger,
      defaultTenant: config.defaultTenant,
      codeRoot: join(pluginConfig.storeRoot, '.code'),
      runsJobs: background,
      jobHandlers,
    });
    await step('plugin code started', () => plugins.attachRuntime(pluginRuntime));
    cleanups.push(() => pluginRuntime.stop());
    const studio = new StudioService({
      database,
      plugins,
      operations: security.operations,
      records: service,
      workflows,
      versions: studioVersions,
      overlays: formOverlays,
    });

    if (background)
      for (const task of options.backgroundTasks ?? []) {
        const stop = await step(`background task ${task.name} started`, () =>
          task.start({
            database,
            records: service,
            workflows,
            models: registry,
            consumers: events.consumers,
            logger: logger.child({ task: task.name }),
            defaultTenant: config.defaultTenant,
          }),
        );
        cleanups.push(stop);
      }

    const demoPlant = options.demoPlant;
    if (config.seedDemo && demoPlant?.atWork && env.NODE_ENV !== 'production') {
      const atWork = demoPlant.atWork.bind(demoPlant);
      await step('demo plant at work', () =>
        withStartupLock(dataSource, async () => {
          const counts = await atWork({
            service,
            workflows,
            plugins,
            registry,
            tenantId: config.defaultTenant,
            env,
            log: (message) => logger.info(message),
          });
          if (Object.keys(counts).length > 0) logger.info({ counts }, 'demo plant at work');
        }),
      );
    }

    if (config.redisUrl) {
      // A failed rebuild keeps the current Model; the next change message retries.
      const sync = await MetadataSync.start(config.redisUrl, plugins, (error) =>
        logger.warn({ err: error }, 'metadata sync'),
      );
      cleanups.push(() => sync.close());
    }

    const drain = drainCheck();
    const readinessChecks: ReadinessCheck[] = [drain, databaseCheck(dataSource)];
    if (config.redisUrl) {
      const redis = redisCheck(config.redisUrl);
      readinessChecks.push(redis);
      cleanups.push(() => redis.close());
    }
    logger.info({ role, database: describeDatabase(databaseConfig) }, 'engine started');
    return {
      config,
      dataSource,
      registry,
      service,
      plugins,
      logger,
      live,
      automation,
      database,
      readinessChecks,
      cleanups,
      security,
      workflows,
      studio,
      formOverlays,
      pluginRuntime,
      url: null,
      drain: () => drain.start(),
      close: async () => {
        drain.start();
        await closeAll(cleanups);
      },
    };
  } catch (error) {
    await closeAll(cleanups);
    throw error;
  }
}

function publicPart(engine: Engine): Omit<RunningWorker, 'url' | 'close'> {
  const { config, dataSource, database, registry, service, plugins, logger, live, automation } = engine;
  return { config, dataSource, database, registry, service, plugins, logger, live, automation };
}

/** Readiness fails first, the load balancer stops sending, then everything closes (once). */
function drainingClose(engine: Engine): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= (async () => {
      const drainMs = engine.config.shutdownDrainMs;
      engine.drain();
      if (drainMs > 0) {
        engine.logger.info({ drainMs }, 'draining: readiness answers 503');
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      await engine.close();
    })();
    return closing;
  };
}

async function closeAll(cleanups: (() => Promise<void>)[]): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

function listeningUrl(config: AppConfig, port: number | null): string {
  return `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port ?? config.port}`;
}

/** Loads and validates metadata; any error-severity diagnostic stops startup, listed with file:line. */
export function loadModel(roots: string[]): Model {
  const { set, diagnostics } = validateMetadata(roots);
  if (countErrors(diagnostics) > 0) {
    const listed = diagnostics
      .filter((d) => d.severity === 'error')
      .slice(0, 20)
      .map((d) => `  ${d.file}:${d.line}:${d.col} ${d.rule}: ${d.message}`)
      .join('\n');
    throw new Error(`Metadata has ${countErrors(diagnostics)} error(s):\n${listed}`);
  }
  return compileModel(set, { version: 1 });
}

/**
 * Entities whose table does not exist (plugins whose migrations have not run, metadata ahead of the
 * migrations) are listed at startup; requests to them answer 503 SERVICE_UNAVAILABLE.
 */
async function warnAboutMissingTables(dataSource: DataSource, model: Model, logger: Logger): Promise<void> {
  const queryRunner = placedRunner(dataSource.createQueryRunner());
  try {
    const missing: string[] = [];
    for (const entity of model.entities.values())
      if (!(await queryRunner.hasTable(entity.table))) missing.push(entity.name);
    if (missing.length > 0)
      logger.warn({ entities: missing }, `${missing.length} entities have no table yet`);
  } finally {
    await queryRunner.release();
  }
}

async function seedIfEmpty(
  demoPlant: DemoPlant,
  service: EntityService,
  database: EngineDatabase,
  registry: ModelRegistry,
  config: AppConfig,
  logger: Logger,
): Promise<void> {
  const ctx = createRequestContext(registry, {
    tenantId: config.defaultTenant,
    userId: 'seed',
    traceId: 'seed-demo-plant',
  });
  if (!(await demoPlant.isNeeded(service, ctx))) return;
  logger.info('empty database: seeding the demo plant');
  const report = await demoPlant.seed(service, database.executor(), ctx, (message) => logger.info(message));
  logger.info({ counts: report.counts, elapsedMs: report.elapsedMs }, 'demo plant seeded');
}

function stepLogger(logger: Logger) {
  return async <T>(done: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    logger.info({ elapsedMs: Date.now() - started }, done);
    return result;
  };
}

function boundPort(address: ReturnType<import('node:net').Server['address']>): number | null {
  return address && typeof address === 'object' ? address.port : null;
}
