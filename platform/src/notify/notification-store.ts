/** In-app notifications, the delivery log of every channel and users' channel preferences. */
import type { Model } from '../../../metadata/src/model';
import type { NotificationView } from '../contracts/automation';
import type { SqlExecutor } from '../data/database';

export type Channel = 'in_app' | 'email' | 'webhook';

export interface NewNotification {
  tenantId: string;
  userId: string;
  rule: string | null;
  severity: string;
  title: string;
  body: string | null;
  entity: string | null;
  recordId: number | null;
}

export type NotificationRow = NotificationView;

export interface DeliveryRow {
  id: number;
  notificationId: number | null;
  rule: string | null;
  channel: Channel;
  recipient: string;
  status: 'SENT' | 'FAILED';
  error: string | null;
  createdMs: number;
}

interface DbNotification {
  id: number | string;
  tenant_id: string;
  user_id: string;
  rule: string | null;
  severity: string;
  title: string;
  body: string | null;
  entity: string | null;
  record_id: number | string | null;
  created_ms: number | string;
  read_ms: number | string | null;
}

function toNotification(row: DbNotification): NotificationRow {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    userId: row.user_id,
    rule: row.rule,
    severity: row.severity,
    title: row.title,
    body: row.body,
    entity: row.entity,
    recordId: row.record_id === null ? null : Number(row.record_id),
    createdMs: Number(row.created_ms),
    readMs: row.read_ms === null ? null : Number(row.read_ms),
  };
}

export class NotificationStore {
  async insert(tx: SqlExecutor, notification: NewNotification): Promise<number> {
    const result = await tx.execute(
      `INSERT INTO auto_notification (tenant_id, user_id, rule, severity, title, body, entity, record_id, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        notification.tenantId,
        notification.userId,
        notification.rule,
        notification.severity,
        notification.title.slice(0, 255),
        notification.body,
        notification.entity,
        notification.recordId,
        Date.now(),
      ],
    );
    return result.insertId;
  }

  async logDelivery(
    sql: SqlExecutor,
    tenantId: string,
    delivery: Omit<DeliveryRow, 'id' | 'createdMs'>,
  ): Promise<void> {
    await sql.execute(
      `INSERT INTO auto_delivery (tenant_id, notification_id, rule, channel, recipient, status, error, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        tenantId,
        delivery.notificationId,
        delivery.rule,
        delivery.channel,
        delivery.recipient.slice(0, 255),
        delivery.status,
        delivery.error?.slice(0, 4000) ?? null,
        Date.now(),
      ],
    );
  }

  async deliveries(sql: SqlExecutor, tenantId: string, limit: number): Promise<DeliveryRow[]> {
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT * FROM auto_delivery WHERE tenant_id = ? ORDER BY id DESC LIMIT ${Math.floor(limit)}`,
      [tenantId],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      notificationId: row.notification_id === null ? null : Number(row.notification_id),
      rule: row.rule as string | null,
      channel: row.channel as Channel,
      recipient: String(row.recipient),
      status: row.status as 'SENT' | 'FAILED',
      error: row.error as string | null,
      createdMs: Number(row.created_ms),
    }));
  }

  async list(
    sql: SqlExecutor,
    tenantId: string,
    userId: string,
    unreadOnly: boolean,
    limit: number,
  ): Promise<NotificationRow[]> {
    const rows = await sql.query<DbNotification>(
      `SELECT * FROM auto_notification WHERE tenant_id = ? AND user_id = ?${unreadOnly ? ' AND read_ms IS NULL' : ''}
       ORDER BY id DESC LIMIT ${Math.floor(limit)}`,
      [tenantId, userId],
    );
    return rows.map(toNotification);
  }

  async unread(sql: SqlExecutor, tenantId: string, userId: string): Promise<number> {
    const [row] = await sql.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM auto_notification WHERE tenant_id = ? AND user_id = ? AND read_ms IS NULL',
      [tenantId, userId],
    );
    return Number(row?.n ?? 0);
  }

  /** Marks the user's notifications read: the listed ones, or all when `ids` is null. */
  async markRead(
    sql: SqlExecutor,
    tenantId: string,
    userId: string,
    ids: readonly number[] | null,
  ): Promise<number> {
    if (ids && ids.length === 0) return 0;
    const only = ids ? ` AND id IN (${ids.map(() => '?').join(', ')})` : '';
    const result = await sql.execute(
      `UPDATE auto_notification SET read_ms = ? WHERE tenant_id = ? AND user_id = ? AND read_ms IS NULL${only}`,
      [Date.now(), tenantId, userId, ...(ids ?? [])],
    );
    return result.affected;
  }

  /** The channels a user switched off (every channel is on until switched off). */
  async disabledChannels(sql: SqlExecutor, tenantId: string, userId: string): Promise<Channel[]> {
    const rows = await sql.query<{ channel: Channel }>(
      'SELECT channel FROM auto_preference WHERE tenant_id = ? AND user_id = ? AND enabled = 0',
      [tenantId, userId],
    );
    return rows.map((row) => row.channel);
  }

  async setPreference(
    sql: SqlExecutor,
    tenantId: string,
    userId: string,
    channel: Channel,
    enabled: boolean,
  ) {
    await sql.execute('DELETE FROM auto_preference WHERE tenant_id = ? AND user_id = ? AND channel = ?', [
      tenantId,
      userId,
      channel,
    ]);
    await sql.execute(
      'INSERT INTO auto_preference (tenant_id, user_id, channel, enabled) VALUES (?, ?, ?, ?)',
      [tenantId, userId, channel, enabled ? 1 : 0],
    );
  }

  /**
   * The tenant's users named by id or username, as ids; what names no user is left out (the
   * caller compares).
   */
  async userIds(
    sql: SqlExecutor,
    model: Model,
    tenantId: string,
    refs: readonly (string | number)[],
  ): Promise<{ ref: string | number; id: string }[]> {
    if (refs.length === 0) return [];
    const table = model.entities.get('user')?.table ?? 'sys_user';
    const ids = refs.filter((ref) => typeof ref === 'number' || /^\d+$/.test(ref)).map(Number);
    const names = refs.filter((ref): ref is string => typeof ref === 'string');
    const rows = await sql.query<{ id: number | string; username: string }>(
      `SELECT id, username FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL
       AND (id IN (${[0, ...ids].map(() => '?').join(', ')}) OR username IN (${['', ...names].map(() => '?').join(', ')}))`,
      [tenantId, 0, ...ids, '', ...names],
    );
    return refs.flatMap((ref) => {
      const row = rows.find((r) =>
        typeof ref === 'number' ? Number(r.id) === ref : r.username === ref || String(r.id) === ref,
      );
      return row ? [{ ref, id: String(row.id) }] : [];
    });
  }

  /** Active users holding one of the roles in the tenant. */
  async usersWithRoles(
    sql: SqlExecutor,
    model: Model,
    tenantId: string,
    roles: readonly string[],
  ): Promise<string[]> {
    if (roles.length === 0) return [];
    const table = (entity: string, fallback: string) => model.entities.get(entity)?.table ?? fallback;
    const rows = await sql.query<{ user_id: number | string }>(
      `SELECT DISTINCT ur.user_id FROM ${table('user_role', 'sys_user_role')} ur
       JOIN ${table('role', 'sys_role')} r ON r.id = ur.role_id
       WHERE ur.tenant_id = ? AND ur.deleted_at IS NULL AND r.deleted_at IS NULL
       AND r.role_code IN (${roles.map(() => '?').join(', ')})`,
      [tenantId, ...roles],
    );
    return rows.map((row) => String(row.user_id));
  }
}
