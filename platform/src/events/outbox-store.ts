/** The statements of the transactional outbox (evt_outbox): write, relay, and the gauges' counts. */
import type { SqlExecutor } from '../data/database';
import { placeholders, sqlTime } from '../data/sql';

export interface OutboxInsert {
  eventId: string;
  tenantId: string;
  type: string;
  entity: string | null;
  entityId: string | null;
  envelope: string;
  createdAt: string;
}

export interface OutboxRow {
  id: number | string;
  envelope: string;
  attempts: number;
}

export async function insertOutboxRows(tx: SqlExecutor, rows: readonly OutboxInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.executeLater(
    `INSERT INTO evt_outbox (event_id, tenant_id, event_type, entity, entity_id, envelope, created_at, attempts) VALUES ${rows
      .map(() => '(?, ?, ?, ?, ?, ?, ?, 0)')
      .join(', ')}`,
    rows.flatMap((row) => [
      row.eventId,
      row.tenantId,
      row.type,
      row.entity,
      row.entityId,
      row.envelope,
      row.createdAt,
    ]),
  );
}

/** The oldest events due for publishing, at most `limit`; `lockClause` claims them (MySQL). */
export function dueOutboxRows(
  sql: SqlExecutor,
  now: Date,
  limit: number,
  lockClause: string,
): Promise<OutboxRow[]> {
  return sql.query<OutboxRow>(
    `SELECT id, envelope, attempts FROM evt_outbox
      WHERE published_at IS NULL AND dead_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
      ORDER BY id LIMIT ${limit}${lockClause}`,
    [sqlTime(now)],
  );
}

/** Sent with the relay's next statement or its commit (`executeLater`): nothing reads its result. */
export async function markPublished(
  sql: SqlExecutor,
  ids: readonly (number | string)[],
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await sql.executeLater(`UPDATE evt_outbox SET published_at = ? WHERE id IN ${placeholders(ids.length)}`, [
    sqlTime(now),
    ...ids,
  ]);
}

export async function recordOutboxFailure(
  sql: SqlExecutor,
  id: number | string,
  failure: { attempts: number; error: string; retryAt: Date; deadAt: Date | null },
): Promise<void> {
  await sql.executeLater(
    'UPDATE evt_outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, dead_at = ? WHERE id = ?',
    [
      failure.attempts,
      failure.error,
      sqlTime(failure.retryAt),
      failure.deadAt ? sqlTime(failure.deadAt) : null,
      id,
    ],
  );
}

/** Events waiting for the relay, and when the oldest was written. */
export async function pendingOutbox(sql: SqlExecutor): Promise<{ count: number; oldest: unknown }> {
  const [row] = await sql.query<{ n: number | string; oldest: unknown }>(
    'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL',
  );
  return { count: Number(row?.n ?? 0), oldest: row?.oldest ?? null };
}

export async function deadOutboxCount(sql: SqlExecutor): Promise<number> {
  const rows = await sql.query<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM evt_outbox WHERE dead_at IS NOT NULL',
  );
  return Number(rows[0]?.n ?? 0);
}
