import { createHash } from 'node:crypto';
import type { EngineDatabase } from '../data/database';
import { sqlTime } from '../data/sql';

/** Cross-instance exclusion of job runs: one run per due time, never two at once. */
export class JobLocks {
  constructor(private readonly database: EngineDatabase) {}

  /**
   * Runs `work` unless another instance claimed this due time or still runs the job (MySQL named
   * lock; SQLite serves one process). A claimed run that fails is not repeated: the next due time is.
   */
  async runOnce(job: string, due: Date, work: () => Promise<void>): Promise<void> {
    const claim = this.database.dialect.name === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    const { affected } = await this.database
      .executor()
      .execute(`${claim} INTO evt_processed (consumer, event_id, processed_at) VALUES (?, ?, ?)`, [
        `plugin-job:${job}`,
        due.toISOString(),
        sqlTime(new Date()),
      ]);
    if (affected === 0) return;
    await this.exclusive(job, work);
  }

  private async exclusive(job: string, work: () => Promise<void>): Promise<void> {
    const dataSource = this.database.dataSource;
    if (this.database.dialect.name === 'sqlite') return work();
    const name = String(dataSource.options.database ?? '');
    // Named locks are server-wide: the database name keeps two databases' jobs apart. Max 64 chars.
    const lock = `mes:${createHash('sha1').update(`${name}:${job}`).digest('hex')}`;
    const runner = dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query('SELECT GET_LOCK(?, 0) AS got', [lock])) as {
        got: number | string;
      }[];
      if (Number(row?.got) !== 1) return;
      try {
        await work();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      await runner.release();
    }
  }
}
