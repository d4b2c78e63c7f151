import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, loadDatabaseConfig } from '../../platform/src/data/connection';
import { EngineDatabase } from '../../platform/src/data/database';
import { WorkflowEventsTraceTables1764061200000 } from '../../database/migrations/1764061200000-workflow-events-trace-tables';
import { WebhookSubscriptionTimePrecision1795620000000 } from '../../database/migrations/1795620000000-webhook-subscription-time-precision';
import { WebhookSubscriptionUnmask1796540952832 } from '../../database/migrations/1796540952832-webhook-subscription-unmask';
import { dropMysqlDatabase, mysqlUrl } from '../integration/migrations/helpers';
import type { TestDialect } from './test-dialects';

export type { TestDialect } from './test-dialects';

export interface TestDatabase {
  dataSource: DataSource;
  /** The engine's transactional handle on the same DataSource. */
  db: EngineDatabase;
  dialect: TestDialect;
  drop(): Promise<void>;
}

/**
 * A fresh database with the workflow/event/trace platform tables: a temp SQLite file, or a uniquely
 * named database on the real MariaDB server (dropped again by `drop`).
 */
export async function openPlatformDatabase(dialect: TestDialect, suite: string): Promise<TestDatabase> {
  const name = `mes_test_${suite}_${process.pid}_${Date.now() % 100000}`;
  const url = dialect === 'mysql' ? mysqlUrl(name) : `sqlite:${join(tmpdir(), `${name}.sqlite`)}`;
  const config = loadDatabaseConfig({ DATABASE_URL: url });
  const dataSource = await createDataSource(config, {
    createDatabase: true,
    migrations: [
      WorkflowEventsTraceTables1764061200000,
      WebhookSubscriptionTimePrecision1795620000000,
      WebhookSubscriptionUnmask1796540952832,
    ],
  });
  await dataSource.runMigrations();
  return {
    dataSource,
    db: new EngineDatabase(dataSource),
    dialect,
    async drop() {
      await dataSource.destroy();
      if (dialect === 'mysql') await dropMysqlDatabase(name);
      else
        for (const suffix of ['', '-wal', '-shm'])
          rmSync(`${join(tmpdir(), `${name}.sqlite`)}${suffix}`, { force: true });
    },
  };
}
