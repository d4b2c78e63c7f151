import { createDataSource, loadDatabaseConfig } from '../../platform/src/data/connection';
import { EngineDatabase } from '../../platform/src/data/database';
import { WorkflowEventsTraceTables1764061200000 } from '../../database/migrations/1764061200000-workflow-events-trace-tables';
import { TraceCoveringIndexes1795609529054 } from '../../database/migrations/1795609529054-trace-covering-indexes';
import { dropMysqlDatabase, mysqlUrl } from '../integration/migrations/helpers';

/** A fresh MariaDB database with the platform tables, for one benchmark run. */
export async function openBenchDatabase(
  name: string,
  poolSize: number,
): Promise<{ db: EngineDatabase; drop(): Promise<void> }> {
  await dropMysqlDatabase(name);
  const config = loadDatabaseConfig({ DATABASE_URL: mysqlUrl(name), DB_POOL_SIZE: String(poolSize) });
  const dataSource = await createDataSource(config, {
    createDatabase: true,
    migrations: [WorkflowEventsTraceTables1764061200000, TraceCoveringIndexes1795609529054],
  });
  await dataSource.runMigrations();
  return {
    db: new EngineDatabase(dataSource),
    async drop() {
      await dataSource.destroy();
      await dropMysqlDatabase(name);
    },
  };
}

/** The value below which `fraction` of the sorted samples fall. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
