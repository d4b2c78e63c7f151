/**
 * The engine's background tasks, started by `mes worker` and by a single `MES_ROLE=all` server (never
 * by an API-only instance). A feature whose work runs on timers or after commits outside a request
 * (timers, asynchronous rules, schedulers) adds its BackgroundTask here.
 */
import type { BackgroundTask } from './background-tasks';

export const ENGINE_BACKGROUND_TASKS: readonly BackgroundTask[] = [];
