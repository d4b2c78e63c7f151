import type { EngineDatabase } from '../../data/database';
import type { LoginThrottleStore, SlotRule, ThrottleSlot } from './login-throttle';

const TABLE = 'sec_login_throttle';
const KEY = 'tenant_id = ? AND username = ? AND client = ?';
const MAX_ROUNDS = 20;
/** After that many lost races the attempt is refused for a second rather than counted blindly. */
const RETRY_SOON_MS = 1000;

interface SlotRow {
  attempts: number | string;
  last_attempt_ms: number | string;
  next_attempt_ms: number | string;
}

/**
 * Throttle counters in `sec_login_throttle`, shared by every instance on the database. An attempt is
 * counted by one conditional UPDATE, so of any number of concurrent attempts only as many as the
 * rule admits are counted; the others find the condition false and are refused.
 */
export class SqlLoginThrottleStore implements LoginThrottleStore {
  constructor(private readonly database: EngineDatabase) {}

  async reserve(slot: ThrottleSlot, rule: SlotRule, nowMs: number): Promise<number> {
    const db = this.database.executor();
    const key = [slot.tenantId, slot.username, slot.client];
    const expiry = nowMs - rule.windowMs;
    const next = nextAttemptCase(rule, nowMs);
    // Concurrent first attempts race to insert the row, and the row read after a refused update may
    // already have changed: the losers try again, a bounded number of times.
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Each assignment reads only columns assigned after it: MySQL assigns left to right, SQLite at once.
      const counted = await db.execute(
        `UPDATE ${TABLE} SET next_attempt_ms = ${next.sql('CASE WHEN last_attempt_ms < ? THEN 1 ELSE attempts + 1 END')}, ` +
          'attempts = CASE WHEN last_attempt_ms < ? THEN 1 ELSE attempts + 1 END, last_attempt_ms = ? ' +
          `WHERE ${KEY} AND next_attempt_ms <= ? AND (attempts < ? OR last_attempt_ms < ?)`,
        [expiry, ...next.params, expiry, nowMs, ...key, nowMs, rule.maxAttempts, expiry],
      );
      if (counted.affected === 1) return 0;
      const [row] = await db.query<SlotRow>(
        `SELECT attempts, last_attempt_ms, next_attempt_ms FROM ${TABLE} WHERE ${KEY}`,
        key,
      );
      if (row) {
        const wait = waitOf(row, rule, nowMs);
        if (wait > 0) return wait;
        continue;
      }
      try {
        await db.execute(
          `INSERT INTO ${TABLE} (tenant_id, username, client, attempts, last_attempt_ms, next_attempt_ms) VALUES (?, ?, ?, 1, ?, ?)`,
          [...key, nowMs, nextAttemptAt(rule.delaysMs[0] ?? rule.tailDelayMs, nowMs)],
        );
        return 0;
      } catch (error) {
        if (!db.dialect.uniqueViolation(error)) throw error;
      }
    }
    return RETRY_SOON_MS;
  }

  async release(slot: ThrottleSlot): Promise<void> {
    await this.database
      .executor()
      .execute(`UPDATE ${TABLE} SET attempts = attempts - 1 WHERE ${KEY} AND attempts > 0`, [
        slot.tenantId,
        slot.username,
        slot.client,
      ]);
  }

  async clear(slots: readonly ThrottleSlot[]): Promise<void> {
    for (const slot of slots)
      await this.database
        .executor()
        .execute(`DELETE FROM ${TABLE} WHERE ${KEY}`, [slot.tenantId, slot.username, slot.client]);
  }

  async clearAccount(tenantId: string, username: string): Promise<void> {
    await this.database
      .executor()
      .execute(`DELETE FROM ${TABLE} WHERE tenant_id = ? AND username = ?`, [tenantId, username]);
  }

  async close(): Promise<void> {}
}

/**
 * When the attempt after this one may come: 0 without a delay (so requests that read the clock a
 * moment earlier are not refused by a later one's "now"), otherwise now + the delay.
 */
function nextAttemptAt(delayMs: number, nowMs: number): number {
  return delayMs === 0 ? 0 : nowMs + delayMs;
}

/** `(CASE <attempt number> WHEN 1 THEN ? … ELSE ? END)` over the rule's delays, as next-attempt times. */
function nextAttemptCase(
  rule: SlotRule,
  nowMs: number,
): { sql: (attempt: string) => string; params: number[] } {
  const delays = rule.delaysMs.length > 0 ? rule.delaysMs : [rule.tailDelayMs];
  const whens = delays.map((_, index) => `WHEN ${index + 1} THEN ?`).join(' ');
  return {
    sql: (attempt) => `(CASE ${attempt} ${whens} ELSE ? END)`,
    params: [...delays, rule.tailDelayMs].map((delay) => nextAttemptAt(delay, nowMs)),
  };
}

/** What the row makes the attempt wait; 0 when it admits the attempt (it changed since the update). */
function waitOf(row: SlotRow, rule: SlotRule, nowMs: number): number {
  const last = Number(row.last_attempt_ms);
  const untilDelay = Number(row.next_attempt_ms) - nowMs;
  const full = Number(row.attempts) >= rule.maxAttempts && last >= nowMs - rule.windowMs;
  return Math.max(untilDelay, full ? last + rule.windowMs - nowMs : 0, 0);
}
