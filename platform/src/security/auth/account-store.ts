import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { toSqlDateTime } from '../../audit/audit-record';

function userTable(model: Model): string {
  return model.entities.get('user')?.table ?? 'sys_user';
}

/** A tenant is known when it has at least one user account: only such a tenant has anyone to sign in. */
export async function tenantHasAccounts(db: SqlExecutor, model: Model, tenantId: string): Promise<boolean> {
  const rows = await db.query(`SELECT 1 AS found FROM ${userTable(model)} WHERE tenant_id = ? LIMIT 1`, [
    tenantId,
  ]);
  return rows.length > 0;
}

/**
 * Stores a new password hash; false when the account does not exist. A new password also stamps when
 * it was set. With `replacing`, the same password re-hashed with current parameters: the stamp stays,
 * and nothing is written unless the stored hash is still `replacing` (a password set meanwhile wins).
 */
export async function storePasswordHash(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  userId: string,
  passwordHash: string,
  by: string,
  replacing?: string,
): Promise<boolean> {
  const now = toSqlDateTime(new Date());
  const stamp = replacing === undefined ? 'password_changed_at = ?, ' : '';
  const guard = replacing === undefined ? '' : ' AND password_hash = ?';
  const updated = await db.execute(
    `UPDATE ${userTable(model)} SET password_hash = ?, ${stamp}updated_at = ?, updated_by = ?, ` +
      `version = version + 1 WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL${guard}`,
    [
      passwordHash,
      ...(replacing === undefined ? [now] : []),
      now,
      by.slice(0, 64),
      tenantId,
      Number(userId),
      ...(replacing === undefined ? [] : [replacing]),
    ],
  );
  return updated.affected === 1;
}

/** Stamps a successful login on the account: when, from where, how many times. */
export async function recordLogin(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  userId: string,
  ip: string | null,
): Promise<void> {
  await db.execute(
    `UPDATE ${userTable(model)} SET last_login_at = ?, last_login_ip = ?, login_count = COALESCE(login_count, 0) + 1 WHERE tenant_id = ? AND id = ?`,
    [toSqlDateTime(new Date()), ip, tenantId, Number(userId)],
  );
}

/** Stores the user's language preference; false when the account does not exist. */
export async function storeLocale(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  userId: string,
  locale: 'en' | 'zh',
): Promise<boolean> {
  const now = toSqlDateTime(new Date());
  const updated = await db.execute(
    `UPDATE ${userTable(model)} SET locale = ?, updated_at = ?, updated_by = ?, version = version + 1 ` +
      'WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL',
    [locale, now, userId.slice(0, 64), tenantId, Number(userId)],
  );
  return updated.affected === 1;
}
