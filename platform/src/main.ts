/**
 * `npm start`: boots the server with configuration from the environment and shuts it down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the database),
 * exiting anyway after SHUTDOWN_TIMEOUT_MS.
 */
import 'reflect-metadata';
import { startServer } from './bootstrap/start-server';

async function main(): Promise<void> {
  const server = await startServer();
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

main().catch((error: unknown) => {
  process.stderr.write(
    `BTC MES failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
