/** The statements of consumer idempotency: which (consumer, event) pairs were processed. */
import type { SqlExecutor } from '../data/database';
import { sqlTime } from '../data/sql';

function claimVerb(tx: SqlExecutor): string {
  return tx.dialect.name === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
}

/** Claims the events for the consumer; returns how many were not claimed before. */
export async function claimEvents(
  tx: SqlExecutor,
  consumer: string,
  eventIds: readonly string[],
): Promise<number> {
  if (eventIds.length === 0) return 0;
  const now = sqlTime(new Date());
  const { affected } = await tx.execute(
    `${claimVerb(tx)} INTO evt_processed (consumer, event_id, processed_at) VALUES ${eventIds.map(() => '(?, ?, ?)').join(', ')}`,
    eventIds.flatMap((id) => [consumer, id, now]),
  );
  return affected;
}

/** The events among `eventIds` the consumer processed, their claims locked on MySQL. */
export async function processedEvents(
  tx: SqlExecutor,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  const rows = await tx.query<{ event_id: string }>(
    `SELECT event_id FROM evt_processed WHERE consumer = ? AND event_id IN (${eventIds.map(() => '?').join(', ')})${tx.dialect.name === 'mysql' ? ' FOR UPDATE' : ''}`,
    [consumer, ...eventIds],
  );
  return new Set(rows.map((row) => row.event_id));
}
