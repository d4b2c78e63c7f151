import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource, dialectOf, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { dropMysqlDatabase, mysqlUrl } from './helpers';

describe('createDataSource on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mes-conn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the folder and opens the file with WAL, foreign keys and a busy timeout', async () => {
    const path = join(dir, 'nested', 'folder', 'mes.sqlite');
    const dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: `sqlite:${path}` }));
    try {
      expect(dialectOf(dataSource)).toBe('sqlite');
      expect(await dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await dataSource.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: 5000 }]);
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('createDataSource on MariaDB', () => {
  const database = `mes_test_conn_${process.pid}`;
  afterAll(() => dropMysqlDatabase(database));

  it('creates the database, pools connections in UTC and returns dates as strings', async () => {
    const config = loadDatabaseConfig({ DATABASE_URL: mysqlUrl(database), DB_POOL_SIZE: '3' });
    const dataSource = await createDataSource(config, { createDatabase: true });
    try {
      expect(dialectOf(dataSource)).toBe('mysql');
      const zones = await Promise.all(
        [1, 2, 3, 4].map(() => dataSource.query('SELECT @@session.time_zone AS tz, SLEEP(0.05) AS s')),
      );
      expect(zones.map((rows: { tz: string }[]) => rows[0].tz)).toEqual([
        '+00:00',
        '+00:00',
        '+00:00',
        '+00:00',
      ]);
      const [row] = await dataSource.query(
        "SELECT CAST('2026-01-02 03:04:05' AS DATETIME) AS at, CAST(12.5 AS DECIMAL(18,4)) AS qty",
      );
      expect(row).toEqual({ at: '2026-01-02 03:04:05', qty: 12.5 });
    } finally {
      await dataSource.destroy();
    }
  });

  it('keeps one promise wrapper per pooled connection across queries', async () => {
    const dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: mysqlUrl(database) }), {
      createDatabase: true,
    });
    const runner = dataSource.createQueryRunner();
    try {
      const connection = (await runner.connect()) as { promise(): unknown };
      const first = connection.promise();
      await runner.query('SELECT 1');
      expect(connection.promise()).toBe(first);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
  });
});
