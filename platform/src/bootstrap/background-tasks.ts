/**
 * Long-running work of the engine that must run once per cluster rather than in every API instance
 * (timers, asynchronous rules, schedulers): registered here, started only in processes whose role
 * runs background work (`mes worker`, or a single `MES_ROLE=all` server) and stopped on shutdown.
 */
import type { Logger } from 'pino';
import type { EntityService } from '../crud/entity.service';
import type { EngineDatabase } from '../data/database';
import type { EventConsumer } from '../events/consumer';
import type { ModelRegistry } from '../kernel/model-registry';
import type { WorkflowService } from '../workflow/workflow.service';

/** What a background task may use: the engine's one write path, its database, Model and events. */
export interface BackgroundTaskContext {
  database: EngineDatabase;
  records: EntityService;
  workflows: WorkflowService;
  models: ModelRegistry;
  /** The consumers this process delivers events to; a task may add its own. */
  consumers: EventConsumer[];
  logger: Logger;
  defaultTenant: string;
}

export interface BackgroundTask {
  /** Shown in the startup log and in errors. */
  name: string;
  /** Starts the task; resolves with how to stop it (awaited on shutdown, before the database closes). */
  start(context: BackgroundTaskContext): Promise<() => Promise<void>>;
}
