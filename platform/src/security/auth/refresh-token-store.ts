import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../../data/database';
import { toSqlDateTime } from '../../audit/audit-record';
import { AuthenticationError } from './auth-errors';

export interface RefreshTokenOwner {
  tenantId: string;
  userId: string;
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
}

interface TokenRow {
  id: string;
  tenant_id: string;
  user_id: string;
  family_id: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

const TABLE = 'sec_refresh_token';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Rotating refresh tokens. Only a SHA-256 of each token is stored. Every refresh spends the token and
 * issues the next one of the same family; presenting a spent token again means it was stolen (or
 * replayed), so the whole family is revoked and both holders must log in again.
 */
export class RefreshTokenStore {
  constructor(private readonly ttlSeconds: number) {}

  async issue(
    db: SqlExecutor,
    owner: RefreshTokenOwner,
    meta: { ip?: string | null; userAgent?: string | null },
    familyId: string = randomUUID(),
  ): Promise<IssuedRefreshToken> {
    const id = randomUUID();
    const token = `${id}.${randomBytes(32).toString('base64url')}`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    await db.execute(
      `INSERT INTO ${TABLE} (id, tenant_id, user_id, family_id, token_hash, issued_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        owner.tenantId,
        owner.userId,
        familyId,
        hashToken(token),
        toSqlDateTime(now),
        toSqlDateTime(expiresAt),
        meta.ip ?? null,
        meta.userAgent?.slice(0, 512) ?? null,
      ],
    );
    return { token, familyId, expiresAt };
  }

  /** Spends a token: returns its owner and family, or throws 401 (revoking the family on reuse). */
  async spend(db: SqlExecutor, token: string): Promise<RefreshTokenOwner & { familyId: string }> {
    const rows = await db.query<TokenRow>(
      `SELECT id, tenant_id, user_id, family_id, expires_at, used_at, revoked_at FROM ${TABLE} WHERE token_hash = ?`,
      [hashToken(token)],
    );
    const row = rows[0];
    if (!row) throw new AuthenticationError('Invalid refresh token', 'unknown');
    const now = toSqlDateTime(new Date());
    if (row.revoked_at) throw new AuthenticationError('Refresh token revoked', 'revoked');
    if (row.used_at) {
      await this.revokeFamily(db, row.family_id, 'reuse');
      throw new AuthenticationError('Refresh token reused; every session of this login was revoked', 'reuse');
    }
    if (String(row.expires_at) <= now) throw new AuthenticationError('Refresh token expired', 'expired');
    const spent = await db.execute(
      `UPDATE ${TABLE} SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`,
      [now, row.id],
    );
    if (spent.affected !== 1) {
      await this.revokeFamily(db, row.family_id, 'reuse');
      throw new AuthenticationError('Refresh token reused; every session of this login was revoked', 'reuse');
    }
    return { tenantId: row.tenant_id, userId: row.user_id, familyId: row.family_id };
  }

  /** Revokes the family of a token (logout); unknown tokens are ignored. */
  async revokeByToken(db: SqlExecutor, token: string, reason: string): Promise<void> {
    const rows = await db.query<{ family_id: string }>(
      `SELECT family_id FROM ${TABLE} WHERE token_hash = ?`,
      [hashToken(token)],
    );
    if (rows[0]) await this.revokeFamily(db, rows[0].family_id, reason);
  }

  /** Revokes every live refresh token of a user (password changed or reset); returns how many. */
  async revokeUser(db: SqlExecutor, owner: RefreshTokenOwner, reason: string): Promise<number> {
    const revoked = await db.execute(
      `UPDATE ${TABLE} SET revoked_at = ?, revoke_reason = ? WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL AND revoked_at IS NULL`,
      [toSqlDateTime(new Date()), reason, owner.tenantId, owner.userId],
    );
    return revoked.affected;
  }

  async revokeFamily(db: SqlExecutor, familyId: string, reason: string): Promise<void> {
    await db.execute(
      `UPDATE ${TABLE} SET revoked_at = ?, revoke_reason = ? WHERE family_id = ? AND revoked_at IS NULL`,
      [toSqlDateTime(new Date()), reason, familyId],
    );
  }
}
