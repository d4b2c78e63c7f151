import type { Model } from '../../../metadata/src/model';
import type { SqlExecutor } from '../data/database';
import type { EventEnvelope } from './envelope';
import { releasableEvent } from './event-payload';
import { sqlTime } from '../data/sql';
import { insertOutboxRows } from './outbox-store';

/**
 * Writes events to the outbox on the caller's transaction (an in-transaction hook's `tx`), inside the transaction of the change they
 * describe: they commit with it or not at all. The relay publishes them after commit. Each payload
 * is cut to what the Model lets leave the system (`releasableEvent`) before it is stored.
 */
export async function writeOutbox(
  tx: SqlExecutor,
  model: Model,
  events: readonly EventEnvelope[],
): Promise<void> {
  await insertOutboxRows(
    tx,
    events
      .map((event) => releasableEvent(model, event))
      .map((event) => ({
        eventId: event.id,
        tenantId: event.tenant,
        type: event.type,
        entity: event.entity,
        entityId: event.entityId,
        envelope: JSON.stringify(event),
        createdAt: sqlTime(new Date(event.time)),
      })),
  );
}
