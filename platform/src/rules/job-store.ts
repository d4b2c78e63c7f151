/**
 * The durable queue and run log of asynchronous rules, timers and scheduled checks (`auto_job`).
 * Jobs are written in the transaction of the change that started them, so they exist exactly when
 * the change committed. A runner claims due jobs in batches: on MySQL/MariaDB it locks them with
 * `FOR UPDATE SKIP LOCKED` (runners never wait for each other's rows) and marks them RUNNING in the
 * same transaction; on SQLite, which has one writer, one `UPDATE … WHERE id IN (SELECT … LIMIT n)`
 * claims them atomically. Either way of several instances exactly one wins a job. The claim is a
 * lease, and a job whose runner died is claimed again once its lease ran out.
 */
import { randomUUID } from 'node:crypto';
import type { EngineDatabase, SqlExecutor } from '../data/database';

export type JobKind = 'rule' | 'timer' | 'schedule';
export type JobStatus = 'PENDING' | 'RUNNING' | 'DONE' | 'SKIPPED' | 'DEAD' | 'CANCELLED';

/** What a run carries from the change that started it. */
export interface JobPayload {
  /** The record's values before the change, in metadata names (changed triggers read `$previous`). */
  previous?: Record<string, unknown> | null;
  /** The user whose change started the chain; the rule's writes are recorded for them. */
  actorId?: string | null;
  /** Rules that led to this run, outermost first: the depth limit and cycle check read it. */
  chain?: string[];
}

export interface NewJob {
  tenantId: string;
  kind: JobKind;
  rule: string;
  entity: string;
  recordId: number | null;
  triggerEvent: string;
  payload: JobPayload;
  dueMs: number;
  maxAttempts: number;
  status?: 'PENDING' | 'SKIPPED';
  lastError?: string | null;
  /** Unique across jobs: a second insert with the same key is ignored (schedule occurrences). */
  dedupKey?: string | null;
}

export interface JobRow {
  id: number;
  tenantId: string;
  kind: JobKind;
  rule: string;
  entity: string;
  recordId: number | null;
  triggerEvent: string;
  payload: JobPayload;
  dueMs: number;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  step: number;
  leaseToken: string | null;
  lastError: string | null;
  result: unknown;
  durationMs: number | null;
  createdMs: number;
  finishedMs: number | null;
}

interface DbJob {
  id: number | string;
  tenant_id: string;
  kind: JobKind;
  rule: string;
  entity: string;
  record_id: number | string | null;
  trigger_event: string;
  payload: string;
  due_ms: number | string;
  status: JobStatus;
  attempts: number | string;
  max_attempts: number | string;
  step: number | string;
  lease_token: string | null;
  last_error: string | null;
  result: string | null;
  duration_ms: number | string | null;
  created_ms: number | string;
  finished_ms: number | string | null;
}

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));

function toJob(row: DbJob): JobRow {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    kind: row.kind,
    rule: row.rule,
    entity: row.entity,
    recordId: nullableNumber(row.record_id),
    triggerEvent: row.trigger_event,
    payload: JSON.parse(row.payload) as JobPayload,
    dueMs: Number(row.due_ms),
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    step: Number(row.step),
    leaseToken: row.lease_token,
    lastError: row.last_error,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    durationMs: nullableNumber(row.duration_ms),
    createdMs: Number(row.created_ms),
    finishedMs: nullableNumber(row.finished_ms),
  };
}

export interface JobFilter {
  tenantId: string;
  status?: JobStatus;
  rule?: string;
  limit: number;
  offset: number;
}

export class JobStore {
  async insert(tx: SqlExecutor, job: NewJob): Promise<void> {
    const now = Date.now();
    const values = [
      job.tenantId,
      job.kind,
      job.rule,
      job.entity,
      job.recordId,
      job.triggerEvent.slice(0, 128),
      JSON.stringify(job.payload),
      job.dueMs,
      job.status ?? 'PENDING',
      job.maxAttempts,
      job.lastError ?? null,
      job.dedupKey ?? null,
      now,
      job.status === 'SKIPPED' ? now : null,
    ];
    const columns =
      'tenant_id, kind, rule, entity, record_id, trigger_event, payload, due_ms, status, max_attempts, last_error, dedup_key, created_ms, finished_ms';
    const marks = values.map(() => '?').join(', ');
    const sql = job.dedupKey
      ? tx.dialect.name === 'mysql'
        ? `INSERT IGNORE INTO auto_job (${columns}) VALUES (${marks})`
        : `INSERT OR IGNORE INTO auto_job (${columns}) VALUES (${marks})`
      : `INSERT INTO auto_job (${columns}) VALUES (${marks})`;
    await tx.execute(sql, values);
  }

  /** Cancels the pending timers of a rule on a record; returns how many. */
  async cancelTimers(
    tx: SqlExecutor,
    tenantId: string,
    entity: string,
    recordId: number,
    rule: string,
  ): Promise<number> {
    const result = await tx.execute(
      `UPDATE auto_job SET status = 'CANCELLED', finished_ms = ?
       WHERE tenant_id = ? AND entity = ? AND record_id = ? AND rule = ? AND kind = 'timer' AND status = 'PENDING'`,
      [Date.now(), tenantId, entity, recordId, rule],
    );
    return result.affected;
  }

  /**
   * Claims up to `limit` due jobs — pending ones, earliest due first, and running ones whose lease
   * ran out (their runner died) — for `leaseMs`, with one lease token for the batch. Jobs another
   * runner holds are skipped, never waited for.
   */
  async claimBatch(db: EngineDatabase, now: number, limit: number, leaseMs: number): Promise<JobRow[]> {
    const token = randomUUID();
    const size = Math.max(1, Math.floor(limit));
    const due = `(status = 'PENDING' AND due_ms <= ?) OR (status = 'RUNNING' AND lease_ms < ?)`;
    const claim = `UPDATE auto_job SET status = 'RUNNING', lease_token = ?, lease_ms = ?, attempts = attempts + 1`;
    if (db.dialect.name === 'mysql') {
      // Two range reads in index order (status, due_ms) that stop after `size` rows: one statement
      // with the OR would sort every due row first, locking all of them for this claim.
      // READ COMMITTED: no gap locks on the due index, so writers queueing jobs are never held up.
      return db.transaction(
        async (tx) => {
          const rows = await tx.query<DbJob>(
            `SELECT * FROM auto_job WHERE status = 'PENDING' AND due_ms <= ? ORDER BY due_ms LIMIT ${size} FOR UPDATE SKIP LOCKED`,
            [now],
          );
          if (rows.length < size)
            rows.push(
              ...(await tx.query<DbJob>(
                `SELECT * FROM auto_job WHERE status = 'RUNNING' AND lease_ms < ? LIMIT ${size - rows.length} FOR UPDATE SKIP LOCKED`,
                [now],
              )),
            );
          if (rows.length === 0) return [];
          const ids = rows.map((row) => Number(row.id));
          // The rows are locked by this transaction: the update claims every one of them, and
          // travels with the COMMIT.
          await tx.executeLater(`${claim} WHERE id IN (${ids.map(() => '?').join(', ')})`, [
            token,
            now + leaseMs,
            ...ids,
          ]);
          return rows.map((row) => ({
            ...toJob(row),
            status: 'RUNNING' as const,
            attempts: Number(row.attempts) + 1,
            leaseToken: token,
          }));
        },
        { isolation: 'READ COMMITTED' },
      );
    }
    // SQLite: one statement claims the batch; it is atomic against every other writer of the file.
    const claimed = await db
      .executor()
      .execute(
        `${claim} WHERE id IN (SELECT id FROM auto_job WHERE ${due} ORDER BY due_ms LIMIT ${size}) AND (${due})`,
        [token, now + leaseMs, now, now, now, now],
      );
    if (claimed.affected === 0) return [];
    const rows = await db
      .executor()
      .query<DbJob>(`SELECT * FROM auto_job WHERE status = 'RUNNING' AND lease_token = ? ORDER BY due_ms`, [
        token,
      ]);
    return rows.map(toJob);
  }

  /** When the earliest pending job falls due (ms since the epoch); null when none is pending. */
  async nextDue(sql: SqlExecutor): Promise<number | null> {
    const [row] = await sql.query<{ due: number | string | null }>(
      "SELECT MIN(due_ms) AS due FROM auto_job WHERE status = 'PENDING'",
    );
    return row?.due === null || row?.due === undefined ? null : Number(row.due);
  }

  async get(sql: SqlExecutor, id: number): Promise<JobRow | null> {
    const [row] = await sql.query<DbJob>('SELECT * FROM auto_job WHERE id = ?', [id]);
    return row ? toJob(row) : null;
  }

  /**
   * Holds a claimed job's lease until `tx` ends: a locking read of the job (on MySQL/MariaDB; SQLite
   * has one writer), sent with the transaction's next statement. True when the job is still this
   * claim's; then no other runner can take it over before `tx` commits, so its `advance` or `finish`
   * in `tx` cannot miss and travels with the COMMIT (`held`).
   */
  holdLease(tx: SqlExecutor, job: JobRow): { held(): Promise<boolean> } {
    const lock = tx.dialect.name === 'mysql' ? ' FOR UPDATE' : '';
    const read = tx.queryLater<{ lease_token: string | null; status: JobStatus }>(
      `SELECT lease_token, status FROM auto_job WHERE id = ?${lock}`,
      [job.id],
    );
    return {
      held: async () => {
        const [row] = await read.rows();
        return row?.status === 'RUNNING' && row.lease_token === job.leaseToken;
      },
    };
  }

  /**
   * Records that the next action of a claimed job was applied, in the transaction that applied it:
   * false when the lease was lost, so the caller rolls the action back instead of applying it twice.
   * `held`: the transaction holds the lease (`holdLease`), so the update cannot miss.
   */
  async advance(tx: SqlExecutor, job: JobRow, step: number, held = false): Promise<boolean> {
    return this.leased(
      tx,
      held,
      'UPDATE auto_job SET step = ? WHERE id = ? AND lease_token = ? AND status = ?',
      [step, job.id, job.leaseToken, 'RUNNING'],
    );
  }

  /**
   * Ends a claimed job (with `step` actions applied), in the transaction of its last action when it
   * has one: false when the lease was lost, so the caller rolls back. `held` as for `advance`.
   */
  async finish(
    sql: SqlExecutor,
    job: JobRow,
    status: 'DONE' | 'SKIPPED',
    result: unknown,
    durationMs: number,
    step = job.step,
    held = false,
  ): Promise<boolean> {
    return this.leased(
      sql,
      held,
      `UPDATE auto_job SET status = ?, step = ?, result = ?, duration_ms = ?, finished_ms = ?, lease_token = NULL, lease_ms = NULL
       WHERE id = ? AND lease_token = ? AND status = 'RUNNING'`,
      [status, step, JSON.stringify(result ?? null), durationMs, Date.now(), job.id, job.leaseToken],
    );
  }

  /** An update of a claimed job: sent with the COMMIT when the lease is held, else checked now. */
  private async leased(
    sql: SqlExecutor,
    held: boolean,
    statement: string,
    params: unknown[],
  ): Promise<boolean> {
    if (held) {
      await sql.executeLater(statement, params);
      return true;
    }
    return (await sql.execute(statement, params)).affected === 1;
  }

  /** A failed attempt: back to PENDING after `retryAtMs`, or DEAD once its attempts are used up. */
  async fail(
    sql: SqlExecutor,
    job: JobRow,
    error: string,
    durationMs: number,
    retryAtMs: number,
  ): Promise<JobStatus> {
    const dead = job.attempts >= job.maxAttempts;
    const status: JobStatus = dead ? 'DEAD' : 'PENDING';
    await sql.execute(
      `UPDATE auto_job SET status = ?, last_error = ?, duration_ms = ?, due_ms = ?, finished_ms = ?, lease_token = NULL, lease_ms = NULL
       WHERE id = ? AND lease_token = ?`,
      [
        status,
        error.slice(0, 4000),
        durationMs,
        dead ? job.dueMs : retryAtMs,
        dead ? Date.now() : null,
        job.id,
        job.leaseToken,
      ],
    );
    return status;
  }

  /** Runs a dead-lettered or failed job again with fresh attempts; false when it is not retryable. */
  async retry(sql: SqlExecutor, tenantId: string, id: number): Promise<boolean> {
    const result = await sql.execute(
      `UPDATE auto_job SET status = 'PENDING', attempts = 0, due_ms = ?, finished_ms = NULL
       WHERE id = ? AND tenant_id = ? AND status = 'DEAD'`,
      [Date.now(), id, tenantId],
    );
    return result.affected === 1;
  }

  async list(sql: SqlExecutor, filter: JobFilter): Promise<{ items: JobRow[]; total: number }> {
    const where = ['tenant_id = ?'];
    const params: unknown[] = [filter.tenantId];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.rule) {
      where.push('rule = ?');
      params.push(filter.rule);
    }
    const clause = where.join(' AND ');
    const [count] = await sql.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM auto_job WHERE ${clause}`,
      params,
    );
    const rows = await sql.query<DbJob>(
      `SELECT * FROM auto_job WHERE ${clause} ORDER BY id DESC LIMIT ${Math.floor(filter.limit)} OFFSET ${Math.floor(filter.offset)}`,
      params,
    );
    return { items: rows.map(toJob), total: Number(count?.n ?? 0) };
  }

  /** Pending timers of records, for the task inbox's SLA countdowns. */
  async pendingTimers(
    sql: SqlExecutor,
    tenantId: string,
    entity: string,
    recordIds: readonly number[],
  ): Promise<JobRow[]> {
    if (recordIds.length === 0) return [];
    const rows = await sql.query<DbJob>(
      `SELECT * FROM auto_job WHERE tenant_id = ? AND entity = ? AND kind = 'timer' AND status = 'PENDING'
       AND record_id IN (${recordIds.map(() => '?').join(', ')}) ORDER BY due_ms`,
      [tenantId, entity, ...recordIds],
    );
    return rows.map(toJob);
  }
}
