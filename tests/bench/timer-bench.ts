/**
 * `npm run bench:timers`: how late timers fire, on MariaDB (or SQLite with BENCH_DIALECT=sqlite),
 * with three started runners of one engine as three instances would run them. Each timer is the
 * escalation timer of a critical alert (`alert_escalation`, a notification to the quality managers),
 * started by creating the alert over HTTP and then moved to fall due at a chosen time while the
 * runners sleep. Two phases:
 *
 * - `spread`: BENCH_TIMERS timers (default 300) falling due evenly over BENCH_SPREAD_S seconds
 *   (default 10), a rate the runners keep up with: the lateness is the runner's waking and claiming;
 * - `burst`: the same number falling due within 1 s, more than the runners run in that second: the
 *   lateness adds the queue the burst builds.
 *
 * Per phase: `wake` = the run's start (its end minus its duration) minus its due time, `fired` = the
 * run's end minus its due time, and the runs' durations, each as p50 / p99 / max in ms; and the
 * machine's load average, which moves these numbers more than anything else on a shared machine.
 */
import { loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { startServer } from '../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../platform/src/data/database';
import { RuleRunner } from '../../platform/src/rules/rule-runner';
import { seedDemoSecurity } from '../../platform/src/security/demo-seed';
import { percentile, round } from './bench-database';

const TIMERS = Number(process.env.BENCH_TIMERS ?? 300);
const SPREAD_S = Number(process.env.BENCH_SPREAD_S ?? 10);
const DIALECT = process.env.BENCH_DIALECT === 'sqlite' ? 'sqlite' : 'mysql';
const PASSWORD = 'Bench-Passw0rd!';
const RULE = 'alert_escalation';
const database = `mes_bench_timers_${process.pid}`;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

function summary(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

async function main(): Promise<void> {
  const folder = DIALECT === 'sqlite' ? mkdtempSync(join(tmpdir(), 'mes-timers-')) : null;
  const server = await startServer({
    env: {
      ...process.env,
      DATABASE_URL:
        DIALECT === 'sqlite'
          ? `sqlite:${join(folder!, 'bench.sqlite')}`
          : `mysql://root@127.0.0.1:3306/${database}`,
      REDIS_URL: '',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      MES_JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghij',
      MES_RATE_LIMIT_API: '1000000',
      AUTOMATION_RUNNER: 'off',
    },
    listen: false,
    logDestination: quiet,
  });
  try {
    const model = server.registry.current();
    await seedDemoSecurity(new EngineDatabase(server.dataSource), model, 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: PASSWORD },
    });
    const admin = (login.json().data as { accessToken: string }).accessToken;
    const runners = [
      server.automation.runner,
      new RuleRunner(server.automation.runner.deps),
      new RuleRunner(server.automation.runner.deps),
    ];
    const pending = async () => {
      const [row] = (await server.dataSource.query(
        "SELECT COUNT(*) AS n FROM auto_job WHERE rule = ? AND status IN ('PENDING', 'RUNNING')",
        [RULE],
      )) as { n: string }[];
      return Number(row!.n);
    };

    const phase = async (name: string, spreadMs: number) => {
      for (let i = 0; i < TIMERS; i++) {
        const now = new Date().toISOString();
        const response = await server.app.inject({
          method: 'POST',
          url: '/api/alert-events',
          payload: {
            alertType: 'QUALITY',
            severity: 'CRITICAL',
            title: `Timer bench ${name} ${i}`,
            dedupKey: `timer-bench-${name}-${i}`,
            firstOccurredAt: now,
            lastOccurredAt: now,
          },
          headers: { authorization: `Bearer ${admin}` },
        });
        if (response.statusCode !== 201) throw new Error(`alert: ${response.body}`);
      }
      // The runners are started and asleep until the earliest timer (30 minutes away).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const start = Date.now() + 500;
      const ids = (
        (await server.dataSource.query(
          "SELECT id FROM auto_job WHERE rule = ? AND status = 'PENDING' ORDER BY id",
          [RULE],
        )) as { id: number | string }[]
      ).map((row) => Number(row.id));
      for (const [index, id] of ids.entries())
        await server.dataSource.query('UPDATE auto_job SET due_ms = ? WHERE id = ?', [
          start + Math.floor((index * spreadMs) / ids.length),
          id,
        ]);
      // Moving due times in SQL is no commit of the engine: tell the runners, as a commit would.
      for (const runner of runners) runner.notify(start);
      const load = loadavg()[0]!;
      while ((await pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const rows = (await server.dataSource.query(
        `SELECT due_ms, finished_ms, duration_ms FROM auto_job
          WHERE rule = ? AND status = 'DONE' AND id IN (${ids.map(() => '?').join(', ')})`,
        [RULE, ...ids],
      )) as { due_ms: string; finished_ms: string; duration_ms: string }[];
      const fired = rows.map((row) => Number(row.finished_ms) - Number(row.due_ms));
      const durations = rows.map((row) => Number(row.duration_ms));
      return {
        timers: rows.length,
        overSeconds: spreadMs / 1000,
        loadAverage1m: round(load, 1),
        wakeMs: summary(fired.map((late, i) => late - durations[i]!)),
        firedMs: summary(fired),
        runMs: summary(durations),
      };
    };

    for (const runner of runners) runner.start();
    const spread = await phase('spread', SPREAD_S * 1000);
    const burst = await phase('burst', 1000);
    for (const runner of runners) await runner.stop();
    console.log(JSON.stringify({ dialect: DIALECT, runners: 3, spread, burst, targetP99Ms: 1000 }, null, 2));
  } finally {
    await server.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
    else {
      const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await connection.end();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
