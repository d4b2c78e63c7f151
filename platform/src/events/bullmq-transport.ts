import { createHash } from 'node:crypto';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import type { EngineDatabase } from '../data/database';
import { dispatchBatch, type EventConsumer } from './consumer';
import type { EventEnvelope } from './envelope';
import { MicroBatcher } from './micro-batcher';
import type { EventPublisher, PublishResult } from './publisher';

/** Publishing policy: 3 attempts, exponential backoff doubling from 1000 ms, then the dead-letter queue. */
export const EVENT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  // Completed jobs are kept an hour so a republished slice is recognised and not queued twice.
  removeOnComplete: { age: 3600, count: 100_000 },
  removeOnFail: false,
};

export interface BullMqSettings {
  /** `redis://host:port/db`. */
  redisUrl: string;
  /** Key prefix of every queue (isolates tenants of one Redis, and test runs). Default `mes`. */
  prefix?: string;
}

/** How long a worker's claim on a job lasts without renewal, and how often workers look for lapsed claims. */
const STALLED_LOCK_MS = 15_000;
const STALLED_CHECK_MS = 5_000;

export const EVENTS_QUEUE = 'events';
export const DEAD_LETTER_QUEUE = 'events-dead';

/** Events per job: a job carries a slice of one relay batch, so Redis work is per slice, not per event. */
export const EVENTS_PER_JOB = 50;

/** A dead-lettered job: its events (those already handled are skipped if replayed), the last error, when it gave up. */
export interface DeadLetter {
  events: EventEnvelope[];
  error: string;
  failedAt: string;
}

/** Connection errors surface through the owner's onError; an unheard `error` event would crash the process. */
function redisConnection(settings: BullMqSettings, onError: (error: unknown) => void): Redis {
  const connection = new IORedis(settings.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', onError);
  return connection;
}

/** How long a publish waits for a (re)connecting Redis before leaving the events in the outbox. */
const CONNECT_WAIT_MS = 2000;

async function connected(connection: Redis): Promise<boolean> {
  if (connection.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), CONNECT_WAIT_MS);
    connection.on('ready', onReady);
  });
}

/** A connection that never came up has nothing to flush: drop it instead of waiting for it. */
async function closeClients(connection: Redis, closeQueues: () => Promise<void>): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  await closeQueues();
  await connection.quit();
}

/**
 * A slice's job id names every event in it, so republishing the same slice while its job is kept is
 * a no-op, and a slice that grew (a relay died after publishing and the next batch found more events
 * behind the same first one) is a new job; consumers skip the events they already handled.
 */
export function sliceJobId(slice: readonly EventEnvelope[]): string {
  const ids = createHash('sha256');
  for (const event of slice) ids.update(event.id).update('\n');
  return `${slice[0]!.id}-${slice.length}-${ids.digest('base64url').slice(0, 22)}`;
}

/**
 * Publishes events in jobs of up to EVENTS_PER_JOB, in outbox order, each with its slice's job id.
 * While Redis is down, publishing refuses at once: the events wait in the outbox and the relay
 * retries, instead of holding its transaction open until Redis returns.
 */
export class BullMqPublisher implements EventPublisher {
  private readonly connection: Redis;
  private queue: Queue<EventEnvelope[]> | null = null;

  constructor(
    private readonly settings: BullMqSettings,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.connection = redisConnection(settings, onError);
  }

  async publish(events: readonly EventEnvelope[]): Promise<PublishResult> {
    if (!(await connected(this.connection)))
      throw new Error(
        `Redis is not connected (${this.connection.status}); ${events.length} event(s) wait in the outbox`,
      );
    if (!this.queue) {
      this.queue = new Queue<EventEnvelope[]>(EVENTS_QUEUE, {
        connection: this.connection,
        prefix: this.settings.prefix ?? 'mes',
      });
      this.queue.on('error', this.onError);
    }
    const jobs = [];
    for (let start = 0; start < events.length; start += EVENTS_PER_JOB) {
      const slice = events.slice(start, start + EVENTS_PER_JOB);
      jobs.push({
        name: slice[0]!.type,
        data: slice,
        opts: { ...EVENT_JOB_OPTIONS, jobId: sliceJobId(slice) },
      });
    }
    await this.queue.addBulk(jobs);
    return { failed: new Map() };
  }

  async close(): Promise<void> {
    await closeClients(this.connection, async () => {
      await this.queue?.close();
    });
  }
}

export interface EventWorkerOptions {
  /** Jobs processed in parallel; default 20. */
  concurrency?: number;
  onError?: (error: unknown) => void;
}

/**
 * Consumes the events queue: the events of concurrent jobs are handled in micro-batches (one
 * transaction per consumer per batch, falling back to event by event on failure), each event once
 * per consumer; a job with a failed event fails, BullMQ retries it with the policy above (handled
 * events are skipped) and a job out of attempts is copied to the dead-letter queue with its error.
 */
export class EventWorker {
  private readonly connection: Redis;
  /** BullMQ's worker and dead-letter queue, created once Redis first answers. */
  private started: { worker: Worker<EventEnvelope[]>; deadLetters: Queue<DeadLetter> } | null = null;
  private readonly firstReady: Promise<void>;

  constructor(
    private readonly db: EngineDatabase,
    private readonly consumers: readonly EventConsumer[],
    private readonly settings: BullMqSettings,
    private readonly options: EventWorkerOptions = {},
  ) {
    this.connection = redisConnection(settings, (error) => options.onError?.(error));
    this.firstReady = new Promise((resolve) =>
      this.connection.once('ready', () => {
        this.started = this.start();
        resolve();
      }),
    );
  }

  /** Resolves when the worker is connected and taking jobs. */
  async ready(): Promise<void> {
    await this.firstReady;
    await this.started!.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    const started = this.started;
    if (!started) {
      this.connection.disconnect();
      return;
    }
    await closeClients(this.connection, async () => {
      await started.worker.close();
      await started.deadLetters.close();
    });
  }

  private start(): { worker: Worker<EventEnvelope[]>; deadLetters: Queue<DeadLetter> } {
    const prefix = this.settings.prefix ?? 'mes';
    const onError = (error: unknown) => this.options.onError?.(error);
    const deadLetters = new Queue<DeadLetter>(DEAD_LETTER_QUEUE, { connection: this.connection, prefix });
    deadLetters.on('error', onError);
    const batcher = new MicroBatcher((events) => dispatchBatch(this.db, this.consumers, events));
    const worker = new Worker<EventEnvelope[]>(
      EVENTS_QUEUE,
      async (job: Job<EventEnvelope[]>) => {
        const outcomes = await Promise.allSettled(job.data.map((event) => batcher.submit(event)));
        const failed = outcomes.flatMap((outcome, i) =>
          outcome.status === 'rejected' ? [{ id: job.data[i]!.id, reason: outcome.reason as unknown }] : [],
        );
        if (failed.length > 0) {
          const first = failed[0]!.reason;
          throw new Error(
            `${failed.length} event(s) failed, first ${failed[0]!.id}: ${first instanceof Error ? first.message : String(first)}`,
          );
        }
      },
      {
        connection: this.connection,
        prefix,
        concurrency: this.options.concurrency ?? 20,
        // A dead worker's jobs come back once their lock (renewed every 7.5 s) has lapsed and a
        // stalled-job check has seen them twice: within about 25 s, not BullMQ's default of up to 90 s.
        lockDuration: STALLED_LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
      },
    );
    worker.on('failed', (job, error) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      const letter: DeadLetter = {
        events: job.data,
        error: error.message,
        failedAt: new Date().toISOString(),
      };
      deadLetters.add(job.name, letter, { jobId: job.id }).catch(onError);
    });
    worker.on('error', onError);
    return { worker, deadLetters };
  }
}
