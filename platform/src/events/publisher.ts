import type { EngineDatabase } from '../data/database';
import { dispatchBatch, type EventConsumer } from './consumer';
import type { EventEnvelope } from './envelope';

/**
 * Where the relay hands committed events. `publish` throws when the transport itself is down (the
 * relay retries the batch later without counting it against the events) and reports events that were
 * delivered but failed in their consumers in `failed` (those count toward the dead letter).
 */
export interface EventPublisher {
  publish(events: readonly EventEnvelope[]): Promise<PublishResult>;
  close(): Promise<void>;
}

export interface PublishResult {
  /** Event id → error message, for events whose delivery failed. */
  failed: Map<string, string>;
}

/**
 * Embedded mode (no Redis): runs the consumers in this process, each over the relay's batch in
 * outbox order, in one transaction per consumer and batch (event by event when that fails, so a
 * bad event fails alone).
 */
export class InProcessPublisher implements EventPublisher {
  constructor(
    private readonly db: EngineDatabase,
    private readonly consumers: readonly EventConsumer[],
  ) {}

  async publish(events: readonly EventEnvelope[]): Promise<PublishResult> {
    const errors = await dispatchBatch(this.db, this.consumers, events);
    const failed = new Map<string, string>();
    for (const [id, error] of errors) failed.set(id, error instanceof Error ? error.message : String(error));
    return { failed };
  }

  async close(): Promise<void> {}
}
