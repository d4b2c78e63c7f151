/**
 * Prints the SQL statements one asynchronous rule run (`ncr_supplier_score`) and one timer run
 * (`alert_escalation`) issue on MariaDB, claim included. Run:
 * npx tsc -p tests/bench/tsconfig.json && node dist/tests/bench/rule-probe.js
 */
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer } from '../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../platform/src/data/database';
import { seedDemoSecurity } from '../../platform/src/security/demo-seed';

const database = `mes_probe_rules_${process.pid}`;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

async function main(): Promise<void> {
  const server = await startServer({
    env: {
      ...process.env,
      DATABASE_URL: `mysql://root@127.0.0.1:3306/${database}`,
      REDIS_URL: '',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      MES_JWT_SECRET: 'probe-jwt-secret-0123456789abcdefghij',
      AUTOMATION_RUNNER: 'off',
    },
    listen: false,
    logDestination: quiet,
  });
  try {
    const model = server.registry.current();
    await seedDemoSecurity(new EngineDatabase(server.dataSource), model, 'DEMO', {
      MES_DEMO_PASSWORD: 'Probe-Passw0rd!',
    });
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: 'Probe-Passw0rd!' },
    });
    const token = (login.json().data as { accessToken: string }).accessToken;
    const post = async (url: string, payload: object) =>
      (
        await server.app.inject({
          method: 'POST',
          url,
          payload,
          headers: { authorization: `Bearer ${token}` },
        })
      ).json().data as { id: number };
    const supplier = await post('/api/suppliers', { supplierName: 'Probe supplier' });
    await post('/api/ncrs', {
      title: 'Probe NCR',
      source: 'IQC',
      severity: 'LOW',
      category: 'MATERIAL',
      description: 'probe',
      supplierId: supplier.id,
    });
    await post('/api/alert-events', {
      alertType: 'QUALITY',
      severity: 'CRITICAL',
      title: 'Probe alert',
      dedupKey: 'probe',
      firstOccurredAt: new Date().toISOString(),
      lastOccurredAt: new Date().toISOString(),
    });
    await server.dataSource.query("UPDATE auto_job SET due_ms = 0 WHERE status = 'PENDING'");
    const statements: string[] = [];
    const runner = server.dataSource.createQueryRunner();
    const prototype = Object.getPrototypeOf(runner) as {
      query: (sql: string, ...rest: unknown[]) => unknown;
    };
    await runner.release();
    const original = prototype.query;
    prototype.query = function (this: unknown, sql: string, ...rest: unknown[]) {
      statements.push(sql.replace(/\s+/g, ' ').slice(0, 150));
      return original.call(this, sql, ...rest);
    };
    const rules = server.automation.runner;
    const claimed = await rules.jobs.claimBatch(
      server.automation.runner.deps.database,
      Date.now(),
      10,
      60_000,
    );
    console.log(`claim of ${claimed.length} jobs: ${statements.length} statements`);
    for (const statement of statements.splice(0)) console.log(`  ${statement}`);
    for (const job of claimed) {
      await rules.run(job);
      console.log(`${job.rule}: ${statements.length} statements`);
      for (const statement of statements.splice(0)) console.log(`  ${statement}`);
    }
    prototype.query = original;
  } finally {
    await server.close();
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await connection.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
