import { randomBytes, randomUUID } from 'node:crypto';
import type { PasswordTokenPurpose } from '../../contracts/auth';
import type { SqlExecutor } from '../../data/database';
import { toSqlDateTime } from '../../audit/audit-record';
import { AuthenticationError } from './auth-errors';
import { hashToken } from './refresh-token-store';

export type { PasswordTokenPurpose };

export interface PasswordTokenOwner {
  tenantId: string;
  userId: string;
  purpose: PasswordTokenPurpose;
}

const TABLE = 'sec_password_token';

/**
 * One-time password tokens. Issuing one for a user voids the user's earlier unused ones, so only the
 * newest link works; redeeming marks it used in the same statement that checks it is live.
 */
export class PasswordTokenStore {
  async issue(
    db: SqlExecutor,
    owner: PasswordTokenOwner,
    issuedBy: string,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = new Date();
    await db.execute(
      `UPDATE ${TABLE} SET used_at = ? WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL`,
      [toSqlDateTime(now), owner.tenantId, owner.userId],
    );
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await db.execute(
      `INSERT INTO ${TABLE} (id, tenant_id, user_id, purpose, token_hash, issued_by, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        owner.tenantId,
        owner.userId,
        owner.purpose,
        hashToken(token),
        issuedBy,
        toSqlDateTime(now),
        toSqlDateTime(expiresAt),
      ],
    );
    return { token, expiresAt };
  }

  /** Spends a live token and names its owner; 401 for an unknown, used or expired one. */
  async redeem(db: SqlExecutor, token: string): Promise<PasswordTokenOwner> {
    const rows = await db.query<{ id: string; tenant_id: string; user_id: string; purpose: string }>(
      `SELECT id, tenant_id, user_id, purpose FROM ${TABLE} WHERE token_hash = ?`,
      [hashToken(token)],
    );
    const row = rows[0];
    const now = toSqlDateTime(new Date());
    const spent = row
      ? await db.execute(
          `UPDATE ${TABLE} SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
          [now, row.id, now],
        )
      : { affected: 0 };
    if (!row || spent.affected !== 1)
      throw new AuthenticationError(
        'The link is invalid, used or expired; ask for a new one',
        'password-token',
      );
    return { tenantId: row.tenant_id, userId: row.user_id, purpose: row.purpose as PasswordTokenPurpose };
  }
}
