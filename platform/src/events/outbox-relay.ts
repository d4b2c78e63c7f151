import type { EngineDatabase, SqlExecutor } from '../data/database';
import { PollingLoop } from '../data/polling-loop';
import type { EventEnvelope } from './envelope';
import type { EventPublisher } from './publisher';
import { dueOutboxRows, markPublished, recordOutboxFailure, type OutboxRow } from './outbox-store';

export interface OutboxRelayOptions {
  /** Events claimed per round trip; default 200. */
  batchSize?: number;
  /** Poll interval when the outbox is empty; default 100 ms (notify() wakes the relay sooner). */
  idleDelayMs?: number;
  /** How long after notify() the relay waits for more commits to join the batch; default 10 ms. */
  batchWindowMs?: number;
  /** Delivery attempts before an event is dead-lettered (dead_at set); default 3. */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt; default 1000 ms. */
  backoffMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Moves committed outbox rows to a publisher, oldest first, and marks them published. Nothing is lost
 * when the process dies between commit and publish (rows stay unpublished and go out on restart) or
 * between publish and marking (they go out again; consumers are idempotent by event id). On MySQL
 * several relays can run side by side: each batch is claimed with FOR UPDATE SKIP LOCKED.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly loop: PollingLoop;

  constructor(
    private readonly db: EngineDatabase,
    private readonly publisher: EventPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.loop = new PollingLoop(
      async () => (await this.relayOnce()) >= this.batchSize,
      options.idleDelayMs ?? 100,
      options.onError,
      options.batchWindowMs ?? 10,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the batch in flight and stops. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Wakes an idle relay, e.g. right after a commit that wrote events. */
  notify(): void {
    this.loop.notify();
  }

  /** Relays one batch; returns how many events it handled. */
  async relayOnce(): Promise<number> {
    // SQLite has one writer and one connection: a transaction held across publishing would block
    // the in-process consumers' own transactions, and a single relay needs no claim.
    if (this.db.dialect.name === 'sqlite') return this.relayBatch(this.db.executor(), '');
    // READ COMMITTED: no gap lock at the end of the outbox index while publishing, which would
    // hold up every writer's outbox insert (and, with the pool exhausted, the in-process consumers).
    return this.db.transaction((tx) => this.relayBatch(tx, ' FOR UPDATE SKIP LOCKED'), {
      isolation: 'READ COMMITTED',
    });
  }

  private async relayBatch(sql: SqlExecutor, lockClause: string): Promise<number> {
    const rows = await dueOutboxRows(sql, new Date(), this.batchSize, lockClause);
    if (rows.length === 0) return 0;
    const events = rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
    const { failed } = await this.publisher.publish(events);
    const now = new Date();
    const published = rows.filter((_, i) => !failed.has(events[i]!.id)).map((row) => row.id);
    await markPublished(sql, published, now);
    for (const [index, row] of rows.entries()) {
      const error = failed.get(events[index]!.id);
      if (error !== undefined) await this.recordFailure(sql, row, error, now);
    }
    return rows.length;
  }

  private async recordFailure(sql: SqlExecutor, row: OutboxRow, error: string, now: Date): Promise<void> {
    const attempts = Number(row.attempts) + 1;
    const dead = attempts >= this.maxAttempts;
    const retryAt = new Date(now.getTime() + this.backoffMs * 2 ** (attempts - 1));
    await recordOutboxFailure(sql, row.id, {
      attempts,
      error: error.slice(0, 1000),
      retryAt,
      deadAt: dead ? now : null,
    });
  }
}
