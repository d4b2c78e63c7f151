/**
 * The principal versions handed out before the upgrade carry over into `sys_sequence`, so tokens
 * issued before it compare as they did; the next change takes the following version; reverting
 * puts the versions back into `sec_principal_version`.
 */
import type { DataSource } from 'typeorm';
import { PlatformTables1764000000000 } from '../../../database/migrations/1764000000000-platform-tables';
import { PrincipalInvalidation1796700000000 } from '../../../database/migrations/1796700000000-principal-invalidation';
import { PrincipalVersionSequence1796700000100 } from '../../../database/migrations/1796700000100-principal-version-sequence';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { EngineDatabase } from '../../../platform/src/data/database';
import { revertLastMigration, runMigrations } from '../../../platform/src/data/migrations/migration-runner';
import {
  currentPrincipalVersion,
  nextPrincipalVersion,
} from '../../../platform/src/security/auth/principal-invalidation-store';
import { testDatabases } from './helpers';

describe.each(testDatabases('principal_versions'))(
  'principal versions moved to sys_sequence, on $dialect',
  (database) => {
    let dataSource: DataSource;

    beforeAll(async () => {
      await database.create();
      dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: database.url }), {
        createDatabase: true,
        migrations: [PlatformTables1764000000000, PrincipalInvalidation1796700000000],
      });
      await runMigrations(dataSource);
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await database.drop();
    });

    it('keeps each tenant’s version, goes on from it, and puts it back when reverted', async () => {
      await dataSource.query(
        "INSERT INTO sec_principal_version (tenant_id, version) VALUES ('DEMO', 41), ('PLANT2', 7)",
      );
      await dataSource.setOptions({
        migrations: [
          PlatformTables1764000000000,
          PrincipalInvalidation1796700000000,
          PrincipalVersionSequence1796700000100,
        ],
      });
      await dataSource.destroy();
      await dataSource.initialize();
      expect(await runMigrations(dataSource)).toEqual(['PrincipalVersionSequence1796700000100']);

      const db = new EngineDatabase(dataSource);
      expect(await currentPrincipalVersion(db.executor(), 'DEMO')).toBe(41);
      expect(await currentPrincipalVersion(db.executor(), 'PLANT2')).toBe(7);
      expect(await currentPrincipalVersion(db.executor(), 'NEW')).toBe(0);
      expect(await db.transaction((tx) => nextPrincipalVersion(tx, 'DEMO'))).toBe(42);
      expect(await db.transaction((tx) => nextPrincipalVersion(tx, 'NEW'))).toBe(1);

      expect(await revertLastMigration(dataSource)).toBe('PrincipalVersionSequence1796700000100');
      const rows = (await dataSource.query(
        'SELECT tenant_id, version FROM sec_principal_version ORDER BY tenant_id',
      )) as { tenant_id: string; version: number | string }[];
      expect(rows.map((row) => [row.tenant_id, Number(row.version)])).toEqual([
        ['DEMO', 42],
        ['NEW', 1],
        ['PLANT2', 7],
      ]);
      expect(
        await dataSource.query("SELECT seq_name FROM sys_sequence WHERE seq_name LIKE '#principal:%'"),
      ).toEqual([]);
    });
  },
);
