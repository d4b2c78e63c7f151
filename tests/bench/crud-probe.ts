/**
 * Where a CRUD request's time goes, without the full benchmark's 100,000-row
 * setup. Starts our server in-process on MariaDB (`mes_probe_<pid>`, demo plant, MES_AUTH=off),
 * prints the SQL statements one get, create and update of a work order issue, then drives each
 * operation with autocannon for PROBE_SECONDS (default 5) so `node --cpu-prof` shows the hot path.
 *
 * Env: TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306), PROBE_SECONDS, PROBE_CONNECTIONS (20),
 * PROBE_CASES (get,create,update), PROBE_DATABASE.
 * Run: npx tsc -p tests/bench/tsconfig.json && node --cpu-prof dist/tests/bench/crud-probe.js
 */
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { DEMO_PLANT } from '../../database/seeds/demo-plant';
import { startServer } from '../../platform/src/bootstrap/start-server';

const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
/** PROBE_DATABASE names a database to keep (created and seeded on first use) for EXPLAIN and reruns. */
const KEEP = process.env.PROBE_DATABASE;
const DATABASE = KEEP ?? `mes_probe_${process.pid}`;
const SECONDS = Number(process.env.PROBE_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.PROBE_CONNECTIONS ?? 20);

/** Records every statement any query runner of the DataSource sends. */
function recordStatements(dataSource: DataSource): { take(): string[]; timings(): string[] } {
  let statements: string[] = [];
  const spent = new Map<string, { count: number; ms: number }>();
  const runner = dataSource.createQueryRunner();
  const prototype = Object.getPrototypeOf(runner) as { query: (sql: string, ...rest: unknown[]) => unknown };
  void runner.release();
  const original = prototype.query;
  prototype.query = function (this: unknown, sql: string, ...rest: unknown[]) {
    const text = sql
      .split(';\n')
      .map((statement) => statement.replace(/\s+/g, ' ').slice(0, 160))
      .join(' ; ');
    statements.push(text);
    const started = performance.now();
    const done = () => {
      const key = text.slice(0, 70);
      const entry = spent.get(key) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += performance.now() - started;
      spent.set(key, entry);
    };
    const result = original.call(this, sql, ...rest) as Promise<unknown>;
    return result.finally(done);
  };
  return {
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
    timings: () => {
      const lines = [...spent]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 15)
        .map(
          ([sql, t]) =>
            `${t.count.toString().padStart(6)} × ${(t.ms / t.count).toFixed(2).padStart(7)} ms  ${sql}`,
        );
      spent.clear();
      return lines;
    },
  };
}

async function main(): Promise<void> {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startServer({
    env: {
      DATABASE_URL: `${MYSQL}/${DATABASE}`,
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '20',
      MES_AUTH: 'off',
      PORT: '0',
      HOST: '127.0.0.1',
    },
    logDestination: quiet,
    demoPlant: DEMO_PLANT,
  });
  try {
    const url = server.url ?? '';
    const [range] = (await server.dataSource.query(
      'SELECT MIN(id) AS minId, MAX(id) AS maxId, MIN(item_id) AS itemId, MIN(line_id) AS lineId FROM work_order',
    )) as { minId: number; maxId: number; itemId: number; lineId: number }[];
    const lineIds = (
      (await server.dataSource.query('SELECT id FROM production_line')) as { id: number }[]
    ).map((row) => Number(row.id));
    const statements = recordStatements(server.dataSource);
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(url + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { data: { id: number } }).data;
    };
    const createBody = {
      itemId: Number(range.itemId),
      lineId: Number(range.lineId),
      plannedQuantity: 100,
      plannedStart: '2027-01-01T08:00:00.000Z',
    };
    statements.take();
    await send('GET', `/api/work-orders/${range.minId}`);
    print('get', statements.take());
    const created = await send('POST', '/api/work-orders', createBody);
    print('create', statements.take());
    await send('PATCH', `/api/work-orders/${created.id}`, { version: 1, remarks: 'probe' });
    print('update', statements.take());

    const span = Number(range.maxId) - Number(range.minId) + 1;
    let counter = 0;
    let updateId = Number(range.minId);
    const cases: Record<string, autocannon.Request> = {
      get: {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/api/work-orders/${range.minId + (counter++ % span)}` }),
      },
      create: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          path: '/api/work-orders',
          body: JSON.stringify({ ...createBody, lineId: lineIds[counter++ % lineIds.length] }),
        }),
      },
      update: {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          path: `/api/work-orders/${updateId++}`,
          body: JSON.stringify({ version: 1, remarks: 'probe' }),
        }),
      },
    };
    statements.timings();
    for (const name of (process.env.PROBE_CASES ?? 'get,create,update').split(',')) {
      const result = await autocannon({
        url,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [cases[name]],
      });
      process.stdout.write(
        `${name.padEnd(6)} ${result.requests.average.toFixed(0)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}\n`,
      );
      for (const line of statements.timings()) process.stdout.write(`    ${line}\n`);
    }
  } finally {
    await server.close();
    await dropDatabase();
  }
}

/** A request's queries, one a line; a query carrying several statements shows them joined by ` ; `. */
function print(name: string, queries: string[]): void {
  const statements = queries.reduce((sum, sql) => sum + sql.split(' ; ').length, 0);
  process.stdout.write(`${name}: ${statements} statements in ${queries.length} queries\n`);
  for (const sql of queries) process.stdout.write(`  ${sql}\n`);
}

async function dropDatabase(): Promise<void> {
  if (KEEP) return;
  const url = new URL(MYSQL);
  const connection = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  } finally {
    await connection.end();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `probe failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await dropDatabase().catch(() => undefined);
  process.exit(1);
});
