import type { EngineDatabase, SqlExecutor } from '../data/database';
import { typeMatches, type EventEnvelope } from './envelope';
import { claimEvents, processedEvents } from './processed-store';

/**
 * A subscriber to domain events. `handle` runs inside a transaction that also records the event as
 * processed by this consumer, so its database effects happen exactly once however often the event is
 * delivered; effects outside the database (HTTP calls) must be idempotent on their own.
 */
export interface EventConsumer {
  /** Stable name; the idempotency key is (name, event id). */
  name: string;
  /** Event types or patterns (`work_order.*`, `*`). */
  types: readonly string[];
  handle(event: EventEnvelope, tx: SqlExecutor): Promise<void>;
  /**
   * Of a batch of its types, the events it has something to do for, read outside any transaction;
   * the others are neither claimed nor handled (default: all). Worth it when most events need
   * nothing, as for a tenant without webhook subscriptions: a claim is a row written per event.
   */
  relevant?(events: readonly EventEnvelope[], sql: SqlExecutor): Promise<EventEnvelope[]>;
  /**
   * False for a consumer whose only effect is a notice that may harmlessly repeat (it writes
   * nothing to the database): its events are handled without a claim in evt_processed, so a
   * redelivery repeats the notice.
   */
  claims?: boolean;
}

/**
 * Runs one consumer on one event at most once: claims (consumer, event id) in evt_processed and
 * handles the event in the same transaction. Returns false when the event had been processed before.
 * A concurrent duplicate blocks on the claim until the first commits, then sees it and skips.
 */
export async function consumeOnce(
  db: EngineDatabase,
  consumer: EventConsumer,
  event: EventEnvelope,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    if ((await claimEvents(tx, consumer.name, [event.id])) === 0) return false;
    await consumer.handle(event, tx);
    return true;
  });
}

/** A batch held events the consumer had claimed before: its claiming transaction is rolled back. */
class ClaimedBefore extends Error {}

/**
 * Runs one consumer on many events in one transaction and returns how many were handled. New events
 * (the usual case) are claimed in one statement and handled; when some had been claimed before (a
 * redelivery), that transaction is rolled back and a second one reads the claims (locking them on
 * MySQL, so a concurrent duplicate waits), claims the rest and handles those. Throws when any
 * handler fails; nothing of the batch is then kept.
 */
export async function consumeBatchOnce(
  db: EngineDatabase,
  consumer: EventConsumer,
  events: readonly EventEnvelope[],
): Promise<number> {
  const unique = events.filter(
    (event, index) => events.findIndex((other) => other.id === event.id) === index,
  );
  if (unique.length === 0) return 0;
  try {
    return await db.transaction(async (tx) => {
      const claimed = await claimEvents(
        tx,
        consumer.name,
        unique.map((event) => event.id),
      );
      if (claimed !== unique.length) throw new ClaimedBefore();
      for (const event of unique) await consumer.handle(event, tx);
      return unique.length;
    });
  } catch (error) {
    if (!(error instanceof ClaimedBefore)) throw error;
    return consumeUnclaimed(db, consumer, unique);
  }
}

/** Handles, in one transaction, those of `events` (no duplicates) the consumer has not claimed. */
function consumeUnclaimed(
  db: EngineDatabase,
  consumer: EventConsumer,
  events: readonly EventEnvelope[],
): Promise<number> {
  return db.transaction(async (tx) => {
    const processed = await processedEvents(
      tx,
      consumer.name,
      events.map((event) => event.id),
    );
    const fresh = events.filter((event) => !processed.has(event.id));
    if (fresh.length === 0) return 0;
    const affected = await claimEvents(
      tx,
      consumer.name,
      fresh.map((event) => event.id),
    );
    if (affected !== fresh.length)
      throw new Error(`${consumer.name}: events claimed concurrently; retrying one by one`);
    for (const event of fresh) await consumer.handle(event, tx);
    return fresh.length;
  });
}

/**
 * Delivers a batch to every interested consumer: one transaction per consumer for the whole batch,
 * and when that fails, event by event, so one bad event fails alone. Returns event id → error.
 */
export async function dispatchBatch(
  db: EngineDatabase,
  consumers: readonly EventConsumer[],
  events: readonly EventEnvelope[],
): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  for (const consumer of consumers) {
    let mine = events.filter((event) => consumer.types.some((pattern) => typeMatches(pattern, event.type)));
    if (mine.length > 0 && consumer.relevant) {
      try {
        mine = await consumer.relevant(mine, db.executor());
      } catch (error) {
        for (const event of mine) if (!failed.has(event.id)) failed.set(event.id, error);
        continue;
      }
    }
    if (mine.length === 0) continue;
    if (consumer.claims === false) {
      await handleUnclaimed(db, consumer, mine, failed);
      continue;
    }
    try {
      await consumeBatchOnce(db, consumer, mine);
    } catch {
      for (const event of mine) {
        try {
          await consumeOnce(db, consumer, event);
        } catch (error) {
          if (!failed.has(event.id)) failed.set(event.id, error);
        }
      }
    }
  }
  return failed;
}

/** Handles each event of a consumer that claims nothing, outside a transaction; records failures. */
async function handleUnclaimed(
  db: EngineDatabase,
  consumer: EventConsumer,
  events: readonly EventEnvelope[],
  failed: Map<string, unknown>,
): Promise<void> {
  const sql = db.executor();
  for (const event of events) {
    try {
      await consumer.handle(event, sql);
    } catch (error) {
      if (!failed.has(event.id)) failed.set(event.id, error);
    }
  }
}
