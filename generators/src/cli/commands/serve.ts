import 'reflect-metadata';
import type { Command } from 'commander';
import { DEMO_PLANT } from '../../../../database/seeds/demo-plant';
import { ENGINE_BACKGROUND_TASKS, startServer } from '../../../../platform/src';
import { limitHeapGrowth } from '../heap-growth';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run the server with configuration from the environment (PORT, DATABASE_URL, REDIS_URL, …); an empty database gets the demo plant unless SEED_DEMO=false',
    )
    .action(() => serve());
}

/**
 * Starts the server and shuts it down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight
 * requests, close the database), exiting anyway after SHUTDOWN_TIMEOUT_MS.
 */
async function serve(): Promise<void> {
  limitHeapGrowth();
  const server = await startServer({ demoPlant: DEMO_PLANT, backgroundTasks: ENGINE_BACKGROUND_TASKS });
  process.stdout.write(`\nBTC MES is running at ${server.url}  (API docs: ${server.url}/api-docs)\n\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      server.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, server.config.shutdownTimeoutMs);
    timer.unref();
    server
      .close()
      .then(() => {
        server.logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
