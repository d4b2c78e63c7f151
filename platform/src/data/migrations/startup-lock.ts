import type { DataSource } from 'typeorm';
import { dialectOf } from '../connection/create-data-source';

const LOCK_NAME = 'mes_startup';
const WAIT_SECONDS = 600;

/**
 * Runs `work` (migrations, the demo seed) while holding a server-wide named lock on MySQL/MariaDB,
 * so instances of a cluster started together migrate and seed one after the other: the first does
 * the work, the others find it done. SQLite serves one process; `work` runs as it is.
 */
export async function withStartupLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (dialectOf(dataSource) === 'sqlite') return work();
  const runner = dataSource.createQueryRunner();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, WAIT_SECONDS])) as {
      got: number | null;
    }[];
    if (Number(row?.got) !== 1)
      throw new Error(`another instance held the startup lock '${LOCK_NAME}' for ${WAIT_SECONDS} s`);
    try {
      return await work();
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await runner.release();
  }
}
