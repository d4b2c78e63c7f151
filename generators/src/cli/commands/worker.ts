import 'reflect-metadata';
import type { Command } from 'commander';
import { ENGINE_BACKGROUND_TASKS, startWorker } from '../../../../platform/src';
import { limitHeapGrowth } from '../heap-growth';

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'run the background work of a cluster (MES_ROLE=worker): the outbox relay, event consumers, plugin subscribers and jobs and the engine background tasks; serves only /health and /health/ready on PORT',
    )
    .action(() => runWorker());
}

/** Runs until SIGTERM/SIGINT, then finishes the work in flight and exits (after SHUTDOWN_TIMEOUT_MS anyway). */
async function runWorker(): Promise<void> {
  limitHeapGrowth();
  const worker = await startWorker({ backgroundTasks: ENGINE_BACKGROUND_TASKS });
  process.stdout.write(`\nBTC MES worker running (health: ${worker.url}/health)\n\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    worker.logger.info({ signal }, 'worker shutting down');
    setTimeout(() => process.exit(1), worker.config.shutdownTimeoutMs).unref();
    worker
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        worker.logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
