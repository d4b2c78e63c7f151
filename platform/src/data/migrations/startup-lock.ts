import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dialectOf } from '../connection/create-data-source';

const WAIT_SECONDS = 600;
/** MySQL limits lock names to 64 characters. */
const MAX_LOCK_NAME = 64;

/**
 * The lock of one database: named locks are server-wide, and deployments (or test suites) using
 * other databases on the same server need not wait for each other's migrations.
 */
function lockName(dataSource: DataSource): string {
  const name = `mes_startup:${String(dataSource.options.database ?? '')}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  return `mes_startup:${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/**
 * Runs `work` (migrations, the demo seed) while holding a named lock of the database on MySQL/MariaDB,
 * so instances of a cluster started together migrate and seed one after the other: the first does
 * the work, the others find it done. SQLite serves one process; `work` runs as it is.
 */
export async function withStartupLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (dialectOf(dataSource) === 'sqlite') return work();
  const name = lockName(dataSource);
  const runner = dataSource.createQueryRunner();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, WAIT_SECONDS])) as {
      got: number | null;
    }[];
    if (Number(row?.got) !== 1)
      throw new Error(`another instance held the startup lock '${name}' for ${WAIT_SECONDS} s`);
    try {
      return await work();
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}
