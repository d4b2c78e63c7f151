/**
 * Event throughput from commit to consumer through the outbox, the relay and BullMQ on MariaDB +
 * Redis, and the outbox lag (consumer time − event time) under that load. Producers commit one
 * business change per transaction, each writing its events to the outbox; one relay publishes; one
 * worker process-equivalent consumes with an idempotent consumer (evt_processed claim + its write).
 * Run: npm run bench:events  (REDIS_URL default redis://127.0.0.1:6379).
 */
import { Queue } from 'bullmq';
import {
  BullMqPublisher,
  DEAD_LETTER_QUEUE,
  EVENTS_QUEUE,
  EventWorker,
} from '../../platform/src/events/bullmq-transport';
import type { EventConsumer } from '../../platform/src/events/consumer';
import { createEnvelope } from '../../platform/src/events/envelope';
import { writeOutbox } from '../../platform/src/events/outbox';
import { OutboxRelay } from '../../platform/src/events/outbox-relay';
import { resolve } from 'node:path';
import { compileModel } from '../../metadata/src/model';
import { validateMetadata } from '../../metadata/src/validator';
import { openBenchDatabase, percentile, round } from './bench-database';

const EVENTS = 20_000;
/** Events per committed business transaction: 2 for interactive writes, more for bulk imports. */
const EVENTS_PER_TRANSACTION = Number(process.env.BENCH_EVENTS_PER_TX ?? 2);
const PRODUCERS = 8;
/** Jobs the worker runs in parallel; each holds a pooled connection for its consumer transaction. */
const WORKER_CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 64);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  const { db, drop } = await openBenchDatabase(
    `mes_bench_events_${process.pid}`,
    WORKER_CONCURRENCY + PRODUCERS + 4,
  );
  const settings = { redisUrl: REDIS_URL, prefix: `mes-bench-${process.pid}` };
  // The core metadata: the outbox writer cuts each payload to what its entity lets leave the system.
  const model = compileModel(validateMetadata([resolve(__dirname, '../../../metadata/modules')]).set, {
    version: 1,
  });
  const lags: number[] = [];
  let consumed = 0;
  let lastConsumedAt = 0;
  const consumer: EventConsumer = {
    name: 'bench-counter',
    types: ['*'],
    async handle(event) {
      lags.push(Date.now() - Date.parse(event.time));
      consumed++;
      lastConsumedAt = Date.now();
    },
  };
  const worker = new EventWorker(db, [consumer], settings, { concurrency: WORKER_CONCURRENCY });
  await worker.ready();
  const publisher = new BullMqPublisher(settings);
  const relay = new OutboxRelay(db, publisher, { batchSize: 500, idleDelayMs: 5 });
  try {
    relay.start();
    const began = Date.now();
    let next = 0;
    const producer = async () => {
      while (next < EVENTS) {
        const first = next;
        next += EVENTS_PER_TRANSACTION;
        const events = Array.from({ length: EVENTS_PER_TRANSACTION }, (_, i) =>
          createEnvelope({
            type: 'work_report.created',
            tenant: 'bench',
            entity: 'work_report',
            entityId: first + i,
            payload: { good: 1 },
          }),
        );
        await db.transaction((tx) => writeOutbox(tx, model, events));
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, producer));
    const committedAt = Date.now();
    let publishedAt = 0;
    while (consumed < EVENTS) {
      if (!publishedAt) {
        const [row] = await db
          .executor()
          .query<{ n: number }>('SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL');
        if (Number(row?.n) === 0) publishedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (lastConsumedAt - began) / 1000;
    lags.sort((a, b) => a - b);
    const result = {
      bench: 'events',
      events: EVENTS,
      eventsPerTransaction: EVENTS_PER_TRANSACTION,
      workerConcurrency: WORKER_CONCURRENCY,
      commitSeconds: round((committedAt - began) / 1000, 2),
      publishedSeconds: round(((publishedAt || lastConsumedAt) - began) / 1000, 2),
      endToEndSeconds: round(seconds, 2),
      eventsPerSecond: Math.round(EVENTS / seconds),
      lagP50ms: percentile(lags, 0.5),
      lagP99ms: percentile(lags, 0.99),
      lagMaxMs: lags[lags.length - 1],
    };
    console.table([result]);
    console.log(JSON.stringify(result));
  } finally {
    await relay.stop();
    await publisher.close();
    await worker.close();
    for (const name of [EVENTS_QUEUE, DEAD_LETTER_QUEUE]) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: settings.prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
