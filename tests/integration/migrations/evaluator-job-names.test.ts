import type { DataSource } from 'typeorm';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { runMigrations } from '../../../platform/src/data/migrations/migration-runner';
import { AutomationTables1796600000000 } from '../../../database/migrations/1796600000000-automation-tables';
import { EvaluatorJobNames1796600000300 } from '../../../database/migrations/1796600000300-evaluator-job-names';
import { testDatabases } from './helpers';

describe.each(testDatabases('evaluator_jobs'))(
  'alert-rule jobs queued before the upgrade, on $dialect',
  (database) => {
    let dataSource: DataSource;

    beforeAll(async () => {
      await database.create();
      dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: database.url }), {
        createDatabase: true,
        migrations: [AutomationTables1796600000000],
      });
      await runMigrations(dataSource);
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await database.drop();
    });

    const queue = (rule: string, kind: string, status: string) =>
      dataSource.query(
        `INSERT INTO auto_job (tenant_id, kind, rule, entity, trigger_event, payload, due_ms, status, created_ms)
       VALUES ('t1', ?, ?, 'alert_event', 'x', '{}', 0, ?, 0)`,
        [kind, rule, status],
      );

    it('renames waiting checks and escalations to the evaluator names and leaves the run log as it ran', async () => {
      await queue('alert_rule_escalation', 'timer', 'PENDING');
      await queue('alert_rules', 'schedule', 'RUNNING');
      await queue('alert_rules', 'schedule', 'DONE');
      await queue('ncr_supplier_score', 'rule', 'PENDING');

      await dataSource.setOptions({
        migrations: [AutomationTables1796600000000, EvaluatorJobNames1796600000300],
      });
      await dataSource.destroy();
      await dataSource.initialize();
      expect(await runMigrations(dataSource)).toEqual(['EvaluatorJobNames1796600000300']);

      const rows = (await dataSource.query('SELECT rule, status FROM auto_job ORDER BY id')) as {
        rule: string;
        status: string;
      }[];
      expect(rows).toEqual([
        { rule: 'escalate:alert_rule', status: 'PENDING' },
        { rule: 'evaluate:alert_rule', status: 'RUNNING' },
        { rule: 'alert_rules', status: 'DONE' },
        { rule: 'ncr_supplier_score', status: 'PENDING' },
      ]);
    });
  },
);
