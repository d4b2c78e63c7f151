import type { Model } from '../../../metadata/src/model';
import type { SqlExecutor } from '../data/database';
import type { EventEnvelope } from './envelope';
import { releasableEvent } from './event-payload';
import { sqlTime } from '../data/sql';

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
  if (events.length === 0) return;
  const rows = events.map(() => '(?, ?, ?, ?, ?, ?, ?, 0)').join(', ');
  const params = events
    .map((event) => releasableEvent(model, event))
    .flatMap((event) => [
      event.id,
      event.tenant,
      event.type,
      event.entity,
      event.entityId,
      JSON.stringify(event),
      sqlTime(new Date(event.time)),
    ]);
  await tx.execute(
    `INSERT INTO evt_outbox (event_id, tenant_id, event_type, entity, entity_id, envelope, created_at, attempts) VALUES ${rows}`,
    params,
  );
}
