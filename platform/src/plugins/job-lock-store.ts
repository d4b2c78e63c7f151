import { createHash } from 'node:crypto';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { sqlTime } from '../data/sql';

/** Cross-instance exclusion of job runs: one run per due time, never two at once. */
export class JobLocks {
  constructor(private readonly database: EngineDatabase) {}

  /**
   * Runs `work` unless another instance claimed this due time or still runs the job (MySQL named
   * lock; SQLite serves one process). A claimed run that fails is not repeated: the next due time is.
   */
  async runOnce(job: string, due: Date, work: () => Promise<void>): Promise<void> {
    if (!(await this.claim(`plugin-job:${job}`, due))) return;
    await this.exclusive(job, work);
  }

  /**
   * Claims one due time of a job in `evt_processed` (consumer `<job>`, event the due time): true for
   * the one instance whose claim went in, false for every other. In the caller's transaction when given.
   */
  async claim(job: string, due: Date, executor: SqlExecutor = this.database.executor()): Promise<boolean> {
    const claim = this.database.dialect.name === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    const { affected } = await executor.execute(
      `${claim} INTO evt_processed (consumer, event_id, processed_at) VALUES (?, ?, ?)`,
      [job, due.toISOString(), sqlTime(new Date())],
    );
    return affected > 0;
  }

  /**
   * Runs `work` unless another instance runs the job now (MySQL named lock; SQLite serves one
   * process, whose own runs the caller tracks). Returns whether it ran.
   */
  async exclusive(job: string, work: () => Promise<void>): Promise<boolean> {
    const dataSource = this.database.dataSource;
    if (this.database.dialect.name === 'sqlite') {
      await work();
      return true;
    }
    const name = String(dataSource.options.database ?? '');
    // Named locks are server-wide: the database name keeps two databases' jobs apart. Max 64 chars.
    const lock = `mes:${createHash('sha1').update(`${name}:${job}`).digest('hex')}`;
    const runner = dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query('SELECT GET_LOCK(?, 0) AS got', [lock])) as {
        got: number | string;
      }[];
      if (Number(row?.got) !== 1) return false;
      try {
        await work();
        return true;
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      await runner.release();
    }
  }
}
