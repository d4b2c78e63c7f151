import type { SqlExecutor } from '../../data/database';
import { toSqlDateTime } from '../../audit/audit-record';
import { TooManyAttemptsError } from './auth-errors';

export interface LockoutPolicy {
  /** Failed logins in a row that lock the username. */
  maxFailures: number;
  lockSeconds: number;
}

export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = { maxFailures: 5, lockSeconds: 15 * 60 };

const TABLE = 'sec_login_failure';

/**
 * Locks a username after repeated failed logins, whether or not the user exists (so lockout does not
 * reveal which usernames are real). A success clears the count.
 */
export class Lockout {
  constructor(private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY) {}

  async assertNotLocked(
    db: SqlExecutor,
    tenantId: string,
    username: string,
    now = new Date(),
  ): Promise<void> {
    const rows = await db.query<{ locked_until: string | null }>(
      `SELECT locked_until FROM ${TABLE} WHERE tenant_id = ? AND username = ?`,
      [tenantId, key(username)],
    );
    const until = rows[0]?.locked_until;
    if (until && String(until) > toSqlDateTime(now)) {
      const seconds = Math.ceil((Date.parse(`${String(until).replace(' ', 'T')}Z`) - now.getTime()) / 1000);
      throw new TooManyAttemptsError(Math.max(seconds, 1));
    }
  }

  /** Counts a failure; returns true when this failure locked the username. */
  async recordFailure(
    db: SqlExecutor,
    tenantId: string,
    username: string,
    now = new Date(),
  ): Promise<boolean> {
    const at = toSqlDateTime(now);
    const updated = await db.execute(
      `UPDATE ${TABLE} SET failures = failures + 1, last_failure_at = ? WHERE tenant_id = ? AND username = ?`,
      [at, tenantId, key(username)],
    );
    if (updated.affected === 0)
      await db.execute(
        `INSERT INTO ${TABLE} (tenant_id, username, failures, last_failure_at) VALUES (?, ?, 1, ?)`,
        [tenantId, key(username), at],
      );
    const rows = await db.query<{ failures: number | string }>(
      `SELECT failures FROM ${TABLE} WHERE tenant_id = ? AND username = ?`,
      [tenantId, key(username)],
    );
    if (Number(rows[0]?.failures ?? 0) < this.policy.maxFailures) return false;
    const until = toSqlDateTime(new Date(now.getTime() + this.policy.lockSeconds * 1000));
    await db.execute(
      `UPDATE ${TABLE} SET failures = 0, locked_until = ? WHERE tenant_id = ? AND username = ?`,
      [until, tenantId, key(username)],
    );
    return true;
  }

  async recordSuccess(db: SqlExecutor, tenantId: string, username: string): Promise<void> {
    await db.execute(`DELETE FROM ${TABLE} WHERE tenant_id = ? AND username = ?`, [tenantId, key(username)]);
  }
}

function key(username: string): string {
  return username.trim().toLowerCase().slice(0, 64);
}
