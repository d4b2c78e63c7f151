/**
 * `npm run bench:automation`: asynchronous rule runs per second and timer lateness on MariaDB with
 * auth on. One engine (startServer, runner off) with the core rules; NCRs against 50 suppliers are
 * created over HTTP as the inspector, each queueing one `ncr_supplier_score` run (an exactly-once
 * `set` on the supplier); then three started runners of the engine (as three instances would,
 * `BENCH_CONCURRENCY` runs at once each) drain the queue, and the runs per second are measured
 * against the target (1,000/s) and against the ceiling: the same read-and-set of the supplier
 * issued directly through the record-change path (EntityService, same number of writers, no queue),
 * in the same run. For timers, 500 critical alerts each start their escalation timer, which is
 * moved to fall due over the next 2 s while the runners sleep; lateness is the time from a timer's
 * due time to its run's end (p50, p99; target p99 ≤ 1 s). Also printed: the load average, this
 * process's CPU time per run and per ceiling write (what the shared machine's load moves least), and
 * the steps and ceiling writes run again after losing a version race. BENCH_PROFILE_DIR=<dir>
 * writes a CPU profile of the drain (`automation-drain.cpuprofile`).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer } from '../../platform/src/bootstrap/start-server';
import { ConflictError } from '../../platform/src/crud/errors';
import { EngineDatabase } from '../../platform/src/data/database';
import { RuleRunner } from '../../platform/src/rules/rule-runner';
import { seedDemoSecurity } from '../../platform/src/security/demo-seed';
import { percentile, round } from './bench-database';

const RUNS = Number(process.env.BENCH_RULE_RUNS ?? 2000);
const TIMERS = Number(process.env.BENCH_TIMERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PASSWORD = 'Bench-Passw0rd!';
const database = `mes_bench_automation_${process.pid}`;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

/** CPU time of this process (user and system), in ms. */
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

async function main(): Promise<void> {
  const server = await startServer({
    env: {
      ...process.env,
      DATABASE_URL: `mysql://root@127.0.0.1:3306/${database}`,
      REDIS_URL: '',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      MES_JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghij',
      MES_RATE_LIMIT_API: '1000000',
      AUTOMATION_RUNNER: 'off',
      AUTOMATION_CONCURRENCY: String(CONCURRENCY),
      DB_POOL_SIZE: String(Math.max(32, 3 * CONCURRENCY + 8)),
    },
    listen: false,
    logDestination: quiet,
  });
  try {
    const model = server.registry.current();
    await seedDemoSecurity(new EngineDatabase(server.dataSource), model, 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    const token = async (username: string) => {
      const login = await server.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: PASSWORD },
      });
      return (login.json().data as { accessToken: string }).accessToken;
    };
    const admin = await token('admin');
    const inspector = await token('inspector');
    const post = async (bearer: string, url: string, payload: object) => {
      const response = await server.app.inject({
        method: 'POST',
        url,
        payload,
        headers: { authorization: `Bearer ${bearer}` },
      });
      if (response.statusCode !== 201) throw new Error(`${url}: ${response.body}`);
      return response.json().data as { id: number };
    };
    const suppliers: number[] = [];
    for (let i = 0; i < 50; i++)
      suppliers.push((await post(admin, '/api/suppliers', { supplierName: `Bench supplier ${i}` })).id);

    let next = 0;
    const producer = async () => {
      while (next < RUNS) {
        const i = next++;
        await post(inspector, '/api/ncrs', {
          title: `Bench NCR ${i}`,
          source: 'IQC',
          severity: 'LOW',
          category: 'MATERIAL',
          description: 'bench',
          supplierId: suppliers[i % suppliers.length],
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, producer));

    const runners = [
      server.automation.runner,
      new RuleRunner(server.automation.runner.deps, { concurrency: CONCURRENCY }),
      new RuleRunner(server.automation.runner.deps, { concurrency: CONCURRENCY }),
    ];
    const open = async (rule: string) => {
      const [row] = (await server.dataSource.query(
        "SELECT COUNT(*) AS n FROM auto_job WHERE rule = ? AND status IN ('PENDING', 'RUNNING')",
        [rule],
      )) as { n: string }[];
      return Number(row!.n);
    };
    // Background work the NCRs left (outbox relay, audit sealing) is done before each measurement.
    const quiesce = async () => {
      for (;;) {
        const [row] = (await server.dataSource.query(
          `SELECT (SELECT COUNT(*) FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL)
                + (SELECT COUNT(*) FROM audit_log WHERE seq IS NULL) AS n`,
        )) as { n: string }[];
        if (Number(row!.n) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await quiesce();
    // Steps that lost a version race with another run on the same supplier (each is run again).
    const records = server.automation.runner.deps.records;
    const updateIn = records.updateIn.bind(records);
    let reruns = 0;
    records.updateIn = async (...args) => {
      try {
        return await updateIn(...args);
      } catch (error) {
        if (error instanceof ConflictError) reruns++;
        throw error;
      }
    };
    const profiler = process.env.BENCH_PROFILE_DIR ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const began = Date.now();
    const drainCpu = process.cpuUsage();
    for (const runner of runners) runner.start();
    while ((await open('ncr_supplier_score')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (Date.now() - began) / 1000;
    const drainCpuMs = cpuMs(process.cpuUsage(drainCpu));
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(
        join(process.env.BENCH_PROFILE_DIR!, 'automation-drain.cpuprofile'),
        JSON.stringify(profile),
      );
      profiler.disconnect();
    }
    const [done] = (await server.dataSource.query(
      "SELECT COUNT(*) AS n FROM auto_job WHERE rule = 'ncr_supplier_score' AND status = 'DONE'",
    )) as { n: string }[];
    const runs = Number(done!.n);
    const drainReruns = reruns;
    const [count] = (await server.dataSource.query(
      `SELECT SUM(ncr_count) AS n FROM ${model.entities.get('supplier_master')!.table}`,
    )) as {
      n: string;
    }[];

    for (let i = 0; i < TIMERS; i++)
      await post(admin, '/api/alert-events', {
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        title: `Bench alert ${i}`,
        dedupKey: `bench-${i}`,
        firstOccurredAt: new Date().toISOString(),
        lastOccurredAt: new Date().toISOString(),
      });
    await quiesce();
    // The runners are idle now, asleep until the earliest timer (30 minutes away) or a signal.
    const start = Date.now() + 500;
    await server.dataSource.query(
      `UPDATE auto_job SET due_ms = ? + MOD(id, 2000) WHERE rule = 'alert_escalation' AND status = 'PENDING'`,
      [start],
    );
    // Moving due times in SQL is no commit of the engine: tell the runners, as a commit would.
    for (const runner of runners) runner.notify(start);
    while ((await open('alert_escalation')) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    const lateness = (
      (await server.dataSource.query(
        "SELECT finished_ms - due_ms AS late FROM auto_job WHERE rule = 'alert_escalation' AND status = 'DONE'",
      )) as { late: string }[]
    )
      .map((row) => Number(row.late))
      .sort((a, b) => a - b);
    for (const runner of runners) await runner.stop();

    await quiesce();
    // The ceiling: the same read-and-set of the supplier through the record-change path, no queue.
    const ctx = { tenantId: 'DEMO', userId: null, traceId: 'bench-ceiling', model };
    records.updateIn = updateIn;
    let written = 0;
    let ceilingReruns = 0;
    const writer = async () => {
      while (written < RUNS) {
        const supplier = suppliers[written++ % suppliers.length]!;
        for (;;) {
          try {
            await records.transaction(async (tx) => {
              const { record } = await records.current(tx, 'supplier_master', supplier, ctx, 'update');
              await records.updateIn(
                tx,
                'supplier_master',
                supplier,
                { ncrCount: Number(record.ncrCount ?? 0) + 1, qualityRating: 4 },
                ctx,
              );
            });
            break;
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
            ceilingReruns++;
          }
        }
      }
    };
    const ceilingBegan = Date.now();
    const ceilingCpu = process.cpuUsage();
    await Promise.all(Array.from({ length: 3 * CONCURRENCY }, writer));
    const ceilingPerSecond = RUNS / ((Date.now() - ceilingBegan) / 1000);
    const ceilingCpuMs = cpuMs(process.cpuUsage(ceilingCpu));

    const perSecond = runs / seconds;
    console.log(
      JSON.stringify(
        {
          loadAverage: loadavg().map((load) => round(load, 2)),
          asyncRuns: {
            runs,
            seconds: round(seconds, 2),
            perSecond: round(perSecond),
            target: 1000,
            ratioToTarget: round(perSecond / 1000, 2),
            ceilingPerSecond: round(ceilingPerSecond),
            ratioToCeiling: round(perSecond / ceilingPerSecond, 2),
            cpuMsPerRun: round(drainCpuMs / runs, 3),
            ceilingCpuMsPerRun: round(ceilingCpuMs / RUNS, 3),
            reruns: drainReruns,
            ceilingReruns,
            runners: 3,
            concurrencyEach: CONCURRENCY,
          },
          exactlyOnce: { supplierNcrCountSum: Number(count!.n), expected: RUNS },
          timers: {
            fired: lateness.length,
            latenessMsP50: percentile(lateness, 0.5),
            latenessMsP99: percentile(lateness, 0.99),
            targetP99Ms: 1000,
          },
        },
        null,
        2,
      ),
    );
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
