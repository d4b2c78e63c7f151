/** The statements of webhook subscriptions and their deliveries. */
import type { SqlExecutor } from '../data/database';
import { sqlTime } from '../data/sql';

export async function insertSubscription(
  tx: SqlExecutor,
  row: { tenant: string; eventType: string; url: string; secret: string; unmask: boolean; createdBy: string },
): Promise<number> {
  const result = await tx.execute(
    `INSERT INTO evt_webhook_subscription (tenant_id, event_type, url, secret, active, unmask, created_at, created_by)
     VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
    [row.tenant, row.eventType, row.url, row.secret, row.unmask, sqlTime(new Date()), row.createdBy],
  );
  return result.insertId;
}

/** Every subscription of the tenant, newest first (no secrets). */
export function subscriptionRows(sql: SqlExecutor, tenant: string): Promise<Record<string, unknown>[]> {
  return sql.query<Record<string, unknown>>(
    'SELECT id, event_type, url, active, unmask, created_at, created_by FROM evt_webhook_subscription WHERE tenant_id = ? ORDER BY id DESC',
    [tenant],
  );
}

/** The tenant's active subscriptions, with their secrets, oldest first. */
export function activeSubscriptionRows(sql: SqlExecutor, tenant: string): Promise<Record<string, unknown>[]> {
  return sql.query<Record<string, unknown>>(
    'SELECT id, tenant_id, event_type, url, secret, active, unmask, created_at FROM evt_webhook_subscription WHERE tenant_id = ? AND active = 1 ORDER BY id',
    [tenant],
  );
}

export async function activeSubscription(
  tx: SqlExecutor,
  tenant: string,
  id: number,
): Promise<{ event_type: string; url: string } | undefined> {
  const [row] = await tx.query<{ event_type: string; url: string }>(
    'SELECT event_type, url FROM evt_webhook_subscription WHERE tenant_id = ? AND id = ? AND active = 1',
    [tenant, id],
  );
  return row;
}

export async function deactivateSubscription(tx: SqlExecutor, tenant: string, id: number): Promise<void> {
  await tx.execute('UPDATE evt_webhook_subscription SET active = 0 WHERE tenant_id = ? AND id = ?', [
    tenant,
    id,
  ]);
}

export async function subscriptionExists(sql: SqlExecutor, tenant: string, id: number): Promise<boolean> {
  const rows = await sql.query('SELECT id FROM evt_webhook_subscription WHERE tenant_id = ? AND id = ?', [
    tenant,
    id,
  ]);
  return rows.length > 0;
}

/** The subscription's latest deliveries, newest first. */
export function deliveryRows(
  sql: SqlExecutor,
  subscriptionId: number,
  limit: number,
): Promise<Record<string, unknown>[]> {
  return sql.query<Record<string, unknown>>(
    `SELECT event_id, status, attempts, response_status, last_error, created_at, delivered_at
       FROM evt_webhook_delivery WHERE subscription_id = ? ORDER BY id DESC LIMIT ${limit}`,
    [subscriptionId],
  );
}

export async function previousDelivery(
  sql: SqlExecutor,
  subscriptionId: number,
  eventId: string,
): Promise<{ id: number; status: string } | undefined> {
  const [row] = await sql.query<{ id: number; status: string }>(
    'SELECT id, status FROM evt_webhook_delivery WHERE subscription_id = ? AND event_id = ?',
    [subscriptionId, eventId],
  );
  return row;
}

export interface DeliveryOutcome {
  status: 'FAILED' | 'DELIVERED';
  responseStatus: number | null;
  error: string | null;
  at: string;
}

/** Records an attempt: a further attempt of a known delivery (`previousId`) or the first one. */
export async function recordDelivery(
  sql: SqlExecutor,
  previousId: number | null,
  subscriptionId: number,
  eventId: string,
  outcome: DeliveryOutcome,
): Promise<void> {
  const deliveredAt = outcome.error ? null : outcome.at;
  if (previousId !== null) {
    await sql.execute(
      'UPDATE evt_webhook_delivery SET status = ?, attempts = attempts + 1, response_status = ?, last_error = ?, delivered_at = ? WHERE id = ?',
      [outcome.status, outcome.responseStatus, outcome.error, deliveredAt, previousId],
    );
  } else {
    await sql.execute(
      `INSERT INTO evt_webhook_delivery (subscription_id, event_id, status, attempts, response_status, last_error, created_at, delivered_at)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?)`,
      [
        subscriptionId,
        eventId,
        outcome.status,
        outcome.responseStatus,
        outcome.error,
        outcome.at,
        deliveredAt,
      ],
    );
  }
}
