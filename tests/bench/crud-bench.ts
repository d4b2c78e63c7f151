/**
 * `npm run bench:crud`: our server against a hand-written ceiling (ceiling-server.ts) on the same
 * MariaDB table of 100,000 work orders, five operations each, printed side by side with the ratio.
 * Authentication is on for both (every request carries a bearer token the server verifies), with the
 * default pool size; our server runs each read twice — as the administrator and as a line-scoped
 * operator (row scope compiled into the query).
 *
 * 1. Creates `mes_bench_<pid>`, runs our migrations, seeds the demo plant, then adds 5,000 work
 *    orders through EntityService.bulk (identifiers, validation and hooks apply), copies them in SQL
 *    up to 100,000 rows, and spreads them over every workflow status (state the workflow engine
 *    would have produced).
 * 2. Starts our server (`mes serve`) and the ceiling as child processes, signs in to ours as `admin`
 *    and as `operator` (a member of every bench line), then runs each case with autocannon on ours
 *    and right after on the ceiling, the operator's reads there unscoped (BENCH_SECONDS each,
 *    default 10, BENCH_CONNECTIONS default 32, after BENCH_WARMUP_SECONDS of the same load, default
 *    10, not measured) while sampling each server's resident memory; stops both.
 *    The API rate limit is raised (MES_RATE_LIMIT_API): all load comes from one client address,
 *    which no plant's clients do; the per-connection request limit is off (see the server's
 *    environment below).
 * 3. Prints req/s, p50 and p99 latency for both, the ratio and the target, the CPU time per request
 *    of each server process and, when MariaDB runs on this machine, of the database server, and our
 *    server's peak RSS; drops the database.
 *
 * Traffic goes only to 127.0.0.1. Env: TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306);
 * BENCH_PROFILE_DIR: run our server with `--cpu-prof` writing its profile there; BENCH_KEEP_DATABASE=1:
 * keep the database afterwards (for EXPLAIN), dropping it is then up to you; BENCH_CASES: a comma list
 * of the cases to run (default every case); BENCH_PORT: our server's port (default 18181, the ceiling the next);
 * BENCH_NODE_FLAGS: node flags for our server (space-separated), to compare runtime settings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { readdirSync, readFileSync } from 'node:fs';
import { DEMO_PLANT } from '../../database/seeds/demo-plant';
import { loadAppConfig } from '../../platform/src/config/app-config';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import { createRequestContext } from '../../platform/src/crud/request-context';
import type { EntityRecord, RequestContext } from '../../platform/src/crud/types';

const ROWS = 100_000;
const BENCH_LINES = 25;
/**
 * Rows written through EntityService.bulk, with every hook (audit chain, outbox: about
 * ten statements a row); the rest are SQL copies of them, so setup takes a minute, not half an hour.
 */
const ENGINE_ROWS = 5000;
const CHUNK = 20_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Unmeasured load of the same case before each measured one, for both servers: a server that has
 * run for a while has compiled its hot code; our larger code base keeps V8's optimizing compiler
 * busy on a second core for 10–20 s of a new kind of request, which a plant's server pays once.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** InnoDB's history list length (transactions whose old row versions wait for purge) taken as purged. */
const PURGED = 100;
/** Both servers use the platform's default pool size. */
const POOL_SIZE = String(loadAppConfig({}).dbPoolSize);
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
const PASSWORD = 'Bench-Passw0rd!';
const RSS_TARGET_MB = 250;
/** Our server listens on BENCH_PORT (default 18181), the ceiling on the port after it. */
const PORT = Number(process.env.BENCH_PORT ?? 18181);
const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
/** BENCH_DATABASE names a database to keep: prepared on first use, reused (and never dropped) after. */
const REUSE = process.env.BENCH_DATABASE;
const DATABASE = REUSE ?? `mes_bench_${process.pid}`;
const DATABASE_URL = `${MYSQL}/${DATABASE}`;
const STATUSES = ['DRAFT', 'RELEASED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED'];
const TARGETS: Record<CaseName, number> = { list: 0.7, get: 0.7, search: 0.7, create: 0.5, update: 0.5 };

type CaseName = 'list' | 'get' | 'search' | 'create' | 'update';
/** Who calls: the administrator (every case) or a line-scoped operator (reads only). */
type Caller = 'admin' | 'operator';
const READS: readonly CaseName[] = ['list', 'get', 'search'];
const ALL_CASES: readonly CaseName[] = ['list', 'get', 'search', 'create', 'update'];
const SELECTED = new Set(
  (process.env.BENCH_CASES ?? ALL_CASES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
);
for (const name of SELECTED)
  if (!ALL_CASES.includes(name as CaseName)) throw new Error(`BENCH_CASES: unknown case ${name}`);
/** The cases a caller runs in this bench run. */
function casesOf(caller: Caller): CaseName[] {
  return (caller === 'admin' ? ALL_CASES : READS).filter((name) => SELECTED.has(name));
}

interface Fixture {
  /**
   * The ids of the work orders on the bench lines, ascending (the SQL copies leave gaps in the
   * auto-increment range): the operator's scope covers exactly these, so every get finds its row.
   */
  ids: number[];
  lineIds: number[];
  itemId: number;
}

interface CaseResult {
  rps: number;
  /**
   * The server process's CPU time (user + system) per answered request: what the request costs
   * the server itself, which the machine's other load changes far less than the request rate.
   */
  cpuMs: number;
  /**
   * The database server's CPU time per answered request, when it runs on this machine (null
   * otherwise): what the request's statements and the server's background work cost MariaDB.
   */
  dbCpuMs: number | null;
  /** Requests answered during the case. */
  answered: number;
  p50: number;
  p99: number;
  errors: number;
  /** The server's peak resident memory during the case. */
  peakRssMb: number;
  /** Non-2xx answers by status code. */
  statuses: Record<string, number>;
}

/** A server under test, up and signed in, with what its cases measured so far. */
interface BenchServer {
  name: 'ours' | 'ceiling';
  child: ChildProcess;
  sampler: ReturnType<typeof rssSampler>;
  base: string;
  tokens: Record<Caller, string>;
  /** Resident memory once the server is up and the callers have signed in, before any load. */
  idleRssMb: number;
  /** Peak resident memory from the start until the load begins (starting, sign-ins). */
  startPeakRssMb: number;
  results: Partial<Record<`${Caller} ${CaseName}`, CaseResult>>;
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`preparing ${DATABASE} with ${ROWS.toLocaleString()} work orders…`);
  const fixture = (await reusedFixture()) ?? (await prepareDatabase());
  log(`prepared in ${Math.round((Date.now() - started) / 1000)} s`);
  try {
    const profile = process.env.BENCH_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
      : [];
    const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
    // Both servers run side by side and each case runs on ours, then at once on the ceiling, so
    // the two meet the machine in the same state (its speed drifts over minutes).
    const servers: BenchServer[] = [];
    try {
      servers.push(await startBenchServer('ours', [...profile, ...flags, 'bin/mes.js', 'serve'], PORT));
      servers.push(await startBenchServer('ceiling', ['dist/tests/bench/ceiling-server.js'], PORT + 1));
      const [ours, ceiling] = servers as [BenchServer, BenchServer];
      // Each update changes a work order still at version 1: every case goes on where the last stopped.
      let nextUpdate = 0;
      for (const caller of ['admin', 'operator'] as Caller[])
        for (const caseName of casesOf(caller)) {
          nextUpdate = await runCase(ours, caller, caseName, fixture, nextUpdate);
          // The ceiling has no users or scopes: after our operator's case it serves the same request
          // unscoped, so each of our cases has a ceiling measured in the same minute.
          nextUpdate = await runCase(ceiling, caller, caseName, fixture, nextUpdate);
        }
      report(ours, ceiling);
    } finally {
      for (const server of servers) await stopBenchServer(server);
    }
  } finally {
    if (REUSE !== undefined || process.env.BENCH_KEEP_DATABASE === '1') log(`kept ${DATABASE}`);
    else await dropDatabase();
  }
}

/**
 * The fixture of a database a previous run with the same BENCH_DATABASE prepared, with the versions
 * the update case counts on reset; null when there is none yet.
 */
async function reusedFixture(): Promise<Fixture | null> {
  if (REUSE === undefined) return null;
  const connection = await serverConnection();
  try {
    const [found] = await connection.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'work_order'`,
      [DATABASE],
    );
    if (Number(found[0]?.n ?? 0) === 0) return null;
    await connection.query(`USE \`${DATABASE}\``);
    const [lines] = await connection.query<RowDataPacket[]>(
      `SELECT id FROM production_line WHERE line_code LIKE 'BL%' ORDER BY id`,
    );
    const lineIds = lines.map((row) => Number(row.id));
    if (lineIds.length !== BENCH_LINES) return null;
    const inLines = `line_id IN (${lineIds.join(', ')})`;
    await connection.query(`UPDATE work_order SET version = 1 WHERE version <> 1 AND ${inLines}`);
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT id, item_id FROM work_order WHERE ${inLines} ORDER BY id`,
    );
    if (rows.length < ROWS / 2) return null;
    log(`reusing ${DATABASE}`);
    return { ids: rows.map((row) => Number(row.id)), lineIds, itemId: Number(rows[0]!.item_id) };
  } finally {
    await connection.end();
  }
}

async function prepareDatabase(): Promise<Fixture> {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startServer({
    env: { DATABASE_URL, LOG_LEVEL: 'warn', MES_JWT_SECRET: JWT_SECRET, MES_DEMO_PASSWORD: PASSWORD },
    demoPlant: DEMO_PLANT,
    listen: false,
    logDestination: quiet,
  });
  try {
    const ctx = createRequestContext(server.registry, {
      tenantId: 'DEMO',
      userId: 'bench',
      traceId: 'bench-setup',
    });
    const plants = await server.service.list(
      'plant',
      server.service.parseListQuery('plant', { pageSize: '1' }, ctx.model),
      ctx,
    );
    const items = await server.service.list(
      'item_master',
      server.service.parseListQuery(
        'item_master',
        { pageSize: '1', filter: { itemType: { eq: 'FINISHED' } } },
        ctx.model,
      ),
      ctx,
    );
    const lines = Array.from({ length: BENCH_LINES }, (_, i) => ({
      lineCode: `BL${String(i).padStart(2, '0')}`,
      lineName: `Bench line ${i}`,
      plantId: plants.items[0].id,
    }));
    const { ids: lineIds } = await server.service.bulk(
      'production_line',
      { mode: 'create', rows: lines },
      ctx,
    );
    const itemId = Number(items.items[0]?.id ?? 1);
    const existing =
      (
        await server.service.list(
          'work_order',
          server.service.parseListQuery('work_order', { pageSize: '1' }, ctx.model),
          ctx,
        )
      ).total ?? 0;
    const engineRows = Math.max(0, Math.min(ENGINE_ROWS, ROWS) - existing);
    const rows: EntityRecord[] = Array.from({ length: engineRows }, (_, i) => ({
      itemId,
      lineId: lineIds[(existing + i) % lineIds.length],
      plannedQuantity: 10 + ((existing + i) % 490),
      plannedStart: workingStart(existing + i),
    }));
    if (rows.length > 0) await server.service.bulk('work_order', { mode: 'create', rows }, ctx);
    await joinLines(server, ctx, 'operator', lineIds);
    await copyWorkOrders(server.dataSource, ROWS);
    const cases = STATUSES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ');
    await server.dataSource.query(`UPDATE work_order SET status = CASE id % ${STATUSES.length} ${cases} END`);
    const ids = (
      (await server.dataSource.query(
        `SELECT id FROM work_order WHERE line_id IN (${lineIds.map(Number).join(', ')}) ORDER BY id`,
      )) as { id: number }[]
    ).map((row) => Number(row.id));
    return { ids, lineIds, itemId };
  } finally {
    await server.close();
  }
}

/**
 * The planned start of the n-th bench order: every 10 minutes of the day shift (08:00–20:00 in the
 * demo plant's Asia/Shanghai) from Monday 5 January 2026, Mondays to Saturdays only — the working
 * time of the demo plant's calendar, in which a new work order must start.
 */
function workingStart(n: number): string {
  const perDay = 72;
  const workingDay = Math.floor(n / perDay);
  const day = Math.floor(workingDay / 6) * 7 + (workingDay % 6);
  return new Date(Date.UTC(2026, 0, 5) + day * 86_400_000 + (n % perDay) * 600_000).toISOString();
}

/** Makes a demo user a member of the bench lines, so its line scope covers their orders. */
async function joinLines(
  server: RunningServer,
  ctx: RequestContext,
  username: string,
  lineIds: number[],
): Promise<void> {
  const users = await server.service.list(
    'user',
    server.service.parseListQuery('user', { filter: { username: { eq: username } } }, ctx.model),
    ctx,
  );
  const user = users.items[0];
  if (!user) throw new Error(`demo user ${username} is missing`);
  await server.service.update('user', Number(user.id), { linesIds: lineIds, version: user.version }, ctx);
}

/**
 * Fills work_order up to `target` rows with copies of the rows the engine wrote (own numbers
 * `WO-COPY-<round>-<id>`, planned starts shifted so the sort keys stay spread), in a few INSERT … SELECTs.
 */
async function copyWorkOrders(dataSource: DataSource, target: number): Promise<void> {
  const columns = (
    (await dataSource.query(
      `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'work_order' AND COLUMN_NAME NOT IN ('id', 'wo_no', 'planned_start')
        ORDER BY ORDINAL_POSITION`,
    )) as { name: string }[]
  ).map((c) => `\`${c.name}\``);
  for (let round = 1; ; round++) {
    const [{ n }] = (await dataSource.query('SELECT COUNT(*) AS n FROM work_order')) as { n: number }[];
    const missing = target - Number(n);
    if (missing <= 0) return;
    await dataSource.query(
      `INSERT INTO work_order (wo_no, planned_start, ${columns.join(', ')})
       SELECT CONCAT('WO-COPY-', ?, '-', id), DATE_ADD(planned_start, INTERVAL ? MINUTE), ${columns.join(', ')}
         FROM work_order ORDER BY id LIMIT ${Math.min(missing, CHUNK)}`,
      [round, Number(n) * 10],
    );
  }
}

async function startBenchServer(
  name: BenchServer['name'],
  args: string[],
  port: number,
): Promise<BenchServer> {
  const child = spawn(process.execPath, args, {
    cwd: join(__dirname, '..', '..', '..'),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL,
      DB_POOL_SIZE: POOL_SIZE,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      MES_JWT_SECRET: JWT_SECRET,
      MES_RATE_LIMIT_API: '100000000',
      // After HTTP_MAX_REQUESTS_PER_SOCKET requests Node marks the keep-alive connection `Connection:
      // close` and answers 503 to anything still sent on it; browsers reconnect, autocannon keeps sending.
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
      // As the image (Dockerfile) runs the server: glibc returns the memory of each password hash.
      MALLOC_MMAP_THRESHOLD_: '4194304',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const sampler = rssSampler(child.pid!);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(name === 'ours' ? `${base}/health/ready` : `${base}/health`, child);
    const tokens: Record<Caller, string> =
      name === 'ours'
        ? { admin: await signIn(base, 'admin'), operator: await signIn(base, 'operator') }
        : { admin: await ceilingToken(), operator: await ceilingToken() };
    return {
      name,
      child,
      sampler,
      base,
      tokens,
      idleRssMb: sampler.currentMb(),
      startPeakRssMb: sampler.peakMb(),
      results: {},
    };
  } catch (error) {
    sampler.stop();
    child.kill('SIGTERM');
    throw error;
  }
}

/** Warms the case up, then measures it; returns the index of the next work order no update has changed. */
async function runCase(
  server: BenchServer,
  caller: Caller,
  caseName: CaseName,
  fixture: Fixture,
  firstUpdate: number,
): Promise<number> {
  const { child, sampler, base, name } = server;
  let nextUpdate = firstUpdate;
  if (WARMUP_SECONDS > 0) {
    const warmup = await measure(base, server.tokens[caller], caseName, fixture, nextUpdate, WARMUP_SECONDS);
    nextUpdate += warmup.usedIds;
  }
  // Our sealer and relay finish the work of the requests before, whichever server is measured next.
  await waitForBackgroundWork(`${caseName} ${name}`);
  const cpuBefore = cpuMsOf(child.pid!);
  const dbCpuBefore = DATABASE_PID === null ? 0 : cpuMsOf(DATABASE_PID);
  sampler.startCase();
  const { result, usedIds } = await measure(
    base,
    server.tokens[caller],
    caseName,
    fixture,
    nextUpdate,
    SECONDS,
  );
  result.cpuMs = (cpuMsOf(child.pid!) - cpuBefore) / Math.max(1, result.answered);
  result.dbCpuMs =
    DATABASE_PID === null ? null : (cpuMsOf(DATABASE_PID) - dbCpuBefore) / Math.max(1, result.answered);
  result.peakRssMb = sampler.casePeakMb();
  server.results[`${caller} ${caseName}`] = result;
  log(
    `${caseName.padEnd(6)} ${name.padEnd(7)} ${caller.padEnd(8)} ${result.rps.toFixed(0)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  CPU ${result.cpuMs.toFixed(2)} ms/req${result.dbCpuMs === null ? '' : ` (database ${result.dbCpuMs.toFixed(2)})`}  RSS ≤ ${result.peakRssMb} MB${result.errors ? `  (${result.errors} failed: ${JSON.stringify(result.statuses)})` : ''}`,
  );
  return nextUpdate + usedIds;
}

/** Peak resident memory during the measured cases. */
function peakRssUnderLoad(server: BenchServer): number {
  return Math.max(...Object.values(server.results).map((result) => result.peakRssMb));
}

async function stopBenchServer(server: BenchServer): Promise<void> {
  server.sampler.stop();
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

/** Signs in to our server and returns the access token. */
async function signIn(base: string, username: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { accessToken: string } }).data.accessToken;
}

/** The ceiling verifies an HS256 token with the same secret; it has no users, so the bench signs one. */
async function ceilingToken(): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('1')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(JWT_SECRET));
}

/**
 * Waits (at most 2 minutes) until the audit sealer has sealed and the outbox relay has published
 * what the cases before wrote, and InnoDB has purged the old row versions their writes left, so
 * each case measures its own requests, not that backlog: purge runs in MariaDB's background
 * threads, and its CPU would count against whichever server's case came next.
 */
async function waitForBackgroundWork(caseName: string): Promise<void> {
  const connection = await serverConnection();
  const started = Date.now();
  try {
    await connection.query(`USE \`${DATABASE}\``);
    for (;;) {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT (SELECT COUNT(*) FROM audit_log WHERE seq IS NULL) AS audit,
                (SELECT COUNT(*) FROM evt_outbox WHERE published_at IS NULL AND dead_at IS NULL) AS outbox,
                (SELECT MAX(\`COUNT\`) FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len') AS history`,
      );
      const pending = Number(rows[0]!.audit) + Number(rows[0]!.outbox);
      const unpurged = Number(rows[0]!.history ?? 0);
      if ((pending === 0 && unpurged <= PURGED) || Date.now() - started > 120_000) {
        const waited = Date.now() - started;
        if (waited > 1000)
          log(
            `(${caseName}: waited ${(waited / 1000).toFixed(0)} s for the audit sealer, outbox relay and purge; ${pending} records and ${unpurged} undo logs left)`,
          );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await connection.end();
  }
}

/**
 * The process id of the MariaDB (or MySQL) server when it runs on this machine and TEST_MYSQL_URL
 * points at this machine, else null: its CPU time is printed beside the server's.
 */
const DATABASE_PID: number | null = (() => {
  if (!['127.0.0.1', 'localhost'].includes(new URL(MYSQL).hostname)) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name === 'mariadbd' || name === 'mysqld') return Number(entry);
    } catch {
      // the process ended while listing
    }
  }
  return null;
})();

/** CPU time (user + system) a process has used so far, in ms, from /proc. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Samples a process's resident set size from /proc every 200 ms: the peak over the whole run and
 * the peak since the last `startCase()`.
 */
function rssSampler(pid: number): {
  currentMb(): number;
  peakMb(): number;
  startCase(): void;
  casePeakMb(): number;
  stop(): void;
} {
  let peak = 0;
  let casePeak = 0;
  const current = (): number => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      return 0; // the process has exited
    }
  };
  const timer = setInterval(() => {
    const mb = current();
    peak = Math.max(peak, mb);
    casePeak = Math.max(casePeak, mb);
  }, 200);
  return {
    currentMb: () => Math.round(current()),
    peakMb: () => Math.round(peak),
    startCase: () => {
      casePeak = current();
    },
    casePeakMb: () => Math.round(casePeak),
    stop: () => clearInterval(timer),
  };
}

async function measure(
  base: string,
  token: string,
  name: CaseName,
  fixture: Fixture,
  firstUpdate: number,
  seconds: number,
): Promise<{ result: CaseResult; usedIds: number }> {
  let updateIndex = firstUpdate;
  let counter = 0;
  const json = { 'content-type': 'application/json' };
  const request: autocannon.Request =
    name === 'list'
      ? {
          method: 'GET',
          path: '/api/work-orders?filter[status][eq]=RELEASED&sort=-plannedStart&pageSize=20&page=1&count=exact',
        }
      : name === 'search'
        ? {
            method: 'GET',
            setupRequest: (req) => ({
              ...req,
              path: `/api/work-orders?filter[woNo][startsWith]=WO-BL${String(counter++ % BENCH_LINES).padStart(2, '0')}-00${counter % 10}&sort=woNo&pageSize=20&count=none`,
            }),
          }
        : name === 'get'
          ? {
              method: 'GET',
              setupRequest: (req) => ({
                ...req,
                path: `/api/work-orders/${fixture.ids[(counter++ * 7919) % fixture.ids.length]}`,
              }),
            }
          : name === 'create'
            ? {
                method: 'POST',
                headers: json,
                setupRequest: (req) => ({
                  ...req,
                  path: '/api/work-orders',
                  body: JSON.stringify({
                    itemId: fixture.itemId,
                    lineId: fixture.lineIds[counter++ % fixture.lineIds.length],
                    plannedQuantity: 100,
                    plannedStart: '2027-01-01T08:00:00.000Z',
                  }),
                }),
              }
            : {
                method: 'PATCH',
                headers: json,
                setupRequest: (req) => ({
                  ...req,
                  path: `/api/work-orders/${fixture.ids[updateIndex++ % fixture.ids.length]}`,
                  body: JSON.stringify({ version: 1, remarks: 'bench' }),
                }),
              };
  const result = await autocannon({
    url: base,
    headers: { authorization: `Bearer ${token}` },
    connections: CONNECTIONS,
    duration: seconds,
    requests: [request],
  });
  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {}))
    if (!code.startsWith('2')) statuses[code] = stats.count ?? 0;
  if (result.errors > 0) statuses.error = result.errors;
  if (result.timeouts > 0) statuses.timeout = result.timeouts;
  return {
    result: {
      rps: result.requests.average,
      cpuMs: 0,
      dbCpuMs: null,
      answered: result.requests.total,
      p50: result.latency.p50,
      p99: result.latency.p99,
      peakRssMb: 0,
      errors: result.non2xx + result.errors + result.timeouts,
      statuses,
    },
    usedIds: updateIndex - firstUpdate,
  };
}

function report(ours: BenchServer, ceiling: BenchServer): void {
  const rows = (['admin', 'operator'] as Caller[]).flatMap((caller) =>
    casesOf(caller).map((name) => {
      const mine = ours.results[`${caller} ${name}`]!;
      const limit = ceiling.results[`${caller} ${name}`]!;
      const ratio = mine.rps / limit.rps;
      return {
        case: `${name} (${caller})`,
        'ours req/s': Math.round(mine.rps),
        'ours p50/p99 ms': `${mine.p50}/${mine.p99}`,
        'ceiling req/s': Math.round(limit.rps),
        'ceiling p50/p99 ms': `${limit.p50}/${limit.p99}`,
        ratio: `${(ratio * 100).toFixed(0)} %`,
        'CPU ms/req ours/ceiling': `${mine.cpuMs.toFixed(2)}/${limit.cpuMs.toFixed(2)}`,
        'database CPU ms/req ours/ceiling':
          mine.dbCpuMs === null || limit.dbCpuMs === null
            ? 'n/a'
            : `${mine.dbCpuMs.toFixed(2)}/${limit.dbCpuMs.toFixed(2)}`,
        target: `≥ ${TARGETS[name] * 100} % ${ratio >= TARGETS[name] ? 'met' : 'MISSED'}`,
        failed: mine.errors + limit.errors,
      };
    }),
  );
  console.table(rows);
  const oursPeak = peakRssUnderLoad(ours);
  log(
    `RSS before load: ours ${ours.idleRssMb} MB (peak while starting ${ours.startPeakRssMb} MB), ceiling ${ceiling.idleRssMb} MB; peak RSS under load: ours ${oursPeak} MB (target ≤ ${RSS_TARGET_MB} MB ${oursPeak <= RSS_TARGET_MB ? 'met' : 'MISSED'}), ceiling ${peakRssUnderLoad(ceiling)} MB`,
  );
}

async function waitUntilUp(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A connection to the MariaDB server of TEST_MYSQL_URL, no database selected. */
function serverConnection(): Promise<Connection> {
  const url = new URL(MYSQL);
  return createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
  });
}

async function dropDatabase(): Promise<void> {
  if (REUSE !== undefined) return;
  const connection = await serverConnection();
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  } finally {
    await connection.end();
  }
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await dropDatabase().catch(() => undefined);
  process.exit(1);
});
