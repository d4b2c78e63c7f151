import type { Command } from 'commander';
import {
  BullMqPublisher,
  EngineDatabase,
  EventWorker,
  InProcessPublisher,
  OutboxRelay,
  WebhookTargetPolicy,
  createDataSource,
  describeDatabase,
  loadDatabaseConfig,
  webhookConsumer,
  type EventPublisher,
} from '../../../../platform/src';

interface WorkerOptions {
  concurrency: string;
  relay: boolean;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'run the event consumers as a separate process: the outbox relay and, with REDIS_URL, the BullMQ worker (DATABASE_URL selects the database)',
    )
    .option('--concurrency <n>', 'events handled in parallel', '32')
    .option('--no-relay', 'consume only; another process relays the outbox')
    .action((options: WorkerOptions) => runWorker(options));
}

async function runWorker(options: WorkerOptions): Promise<void> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency must be a positive integer');
  const config = loadDatabaseConfig();
  const dataSource = await createDataSource(config);
  const db = new EngineDatabase(dataSource);
  try {
    await db.executor().query('SELECT 1 FROM evt_outbox LIMIT 1');
  } catch {
    await dataSource.destroy();
    throw new Error(`${describeDatabase(config)} has no event tables: run \`mes migrate run\` first`);
  }
  const consumers = [webhookConsumer({ targets: WebhookTargetPolicy.fromEnv(process.env) })];
  const redisUrl = process.env.REDIS_URL;
  const settings = redisUrl ? { redisUrl, prefix: process.env.QUEUE_PREFIX ?? 'mes' } : null;
  const log = (message: string) =>
    process.stdout.write(`${new Date().toISOString()} mes worker: ${message}\n`);
  const logError = (error: unknown) =>
    log(`error: ${error instanceof Error ? error.message : String(error)}`);

  const worker = settings
    ? new EventWorker(db, consumers, settings, { concurrency, onError: logError })
    : null;
  const publisher: EventPublisher | null = options.relay
    ? settings
      ? new BullMqPublisher(settings)
      : new InProcessPublisher(db, consumers)
    : null;
  const relay = publisher ? new OutboxRelay(db, publisher, { onError: logError }) : null;
  await worker?.ready();
  relay?.start();
  log(
    `${describeDatabase(config)}; ${settings ? `BullMQ at ${redisUrl} (prefix ${settings.prefix})` : 'in-process dispatch'}; ` +
      `relay ${relay ? 'on' : 'off'}; consumers: ${consumers.map((c) => c.name).join(', ')}`,
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping');
  await relay?.stop();
  await publisher?.close();
  await worker?.close();
  await dataSource.destroy();
}
