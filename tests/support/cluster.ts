/**
 * A cluster of real processes on this machine: `mes serve` API instances (MES_ROLE=api) and a
 * `mes worker` from the build (`dist/`), sharing one MariaDB database and one Redis prefix, behind
 * HAProxy (the Debian package) with health checks on `/health/ready`. Every process, temp folder,
 * database and Redis key it made is removed by `stop()`, which tests call even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Redis from 'ioredis';
import { createConnection, type Connection } from 'mysql2/promise';

/** The project root, from the sources (tests/support) or the bench build (dist/tests/support). */
const ROOT = ((root) => (basename(root) === 'dist' ? dirname(root) : root))(resolve(__dirname, '..', '..'));
const MES = join(ROOT, 'bin', 'mes.js');
export const CLUSTER_PASSWORD = 'Cluster-Passw0rd!';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MYSQL_SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface ClusterOptions {
  /** Names the database, Redis prefix and temp folder (with the process id). */
  name: string;
  instances: number;
  worker?: boolean;
  /** DATABASE_URL of the cluster; default a fresh database on the shared MariaDB. */
  databaseUrl?: string;
  /** Extra environment of every process. */
  env?: Record<string, string>;
  /**
   * A spare HAProxy slot for `surgeRestart`: a replacement starts there before the old instance
   * drains (as Kubernetes' `maxSurge: 1` does), so even a single instance restarts without a gap.
   */
  spare?: boolean;
}

export interface MesProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
}

export interface Cluster {
  /** HAProxy's frontend. */
  url: string;
  databaseUrl: string;
  redisPrefix: string;
  instances: MesProcess[];
  worker: MesProcess | null;
  /** A connection to the cluster's database for checks. */
  sql: Connection;
  /** The environment every process of the cluster runs with (database, Redis, keys). */
  env: Record<string, string>;
  /** Stops the worker (SIGTERM): nothing writes in the background any more. */
  stopWorker(): Promise<void>;
  /** SIGKILL of the worker, in the middle of whatever it was delivering. */
  crashWorker(): Promise<void>;
  /** Starts a worker again after `stopWorker` or `crashWorker`. */
  startWorker(): Promise<void>;
  /** The access token of a demo user (through HAProxy). */
  login(username: string): Promise<string>;
  /** HAProxy's view of each API instance: `UP`, `DOWN`, `MAINT`… */
  backendStatus(): Promise<Record<string, string>>;
  /** Waits until HAProxy reports every instance in `names` with `status`. */
  waitForBackend(names: string[], status: string): Promise<void>;
  /** SIGTERM (graceful drain), wait for the exit, start again, wait until HAProxy sends to it again. */
  restart(index: number): Promise<void>;
  /** Starts a replacement in the spare slot, waits until HAProxy sends to it, then drains the old one. */
  surgeRestart(index: number): Promise<void>;
  /** SIGKILL; resolves once HAProxy has taken the instance out of rotation. */
  crash(index: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

function serverParts(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
  };
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const id = `${options.name}_${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), `mes-cluster-${options.name}-`));
  const database = `mes_test_${id}`;
  const databaseUrl = options.databaseUrl ?? `${MYSQL_SERVER}/${database}`;
  const ownsDatabase = options.databaseUrl === undefined;
  const redisPrefix = `mes-test-${id}`;
  const processes: MesProcess[] = [];
  let haproxy: ChildProcess | null = null;
  let sql: Connection | null = null;

  const commonEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: redisPrefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    MES_DEMO_PASSWORD: CLUSTER_PASSWORD,
    MES_JWT_SECRET: `cluster-secret-${id}-0123456789abcdef0123456789`,
    MES_ENCRYPTION_KEY_FILE: join(work, 'encryption.key'),
    SHUTDOWN_DRAIN_MS: '1000',
    MES_RATE_LIMIT_API: '100000',
    MES_RATE_LIMIT_LOGIN: '20',
    MES_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    ...options.env,
  };

  const spawnMes = async (name: string, command: 'serve' | 'worker', port?: number): Promise<MesProcess> => {
    const bound = port ?? (await freePort());
    let log = '';
    const child = spawn(process.execPath, [MES, command], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...commonEnv,
        PORT: String(bound),
        MES_ROLE: command === 'worker' ? 'worker' : 'api',
        PLUGIN_STORE_DIR: join(work, name, 'plugins'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const proc: MesProcess = {
      name,
      port: bound,
      url: `http://127.0.0.1:${bound}`,
      child,
      output: () => log,
    };
    await waitFor(
      `${name} ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${log}`);
        const response = await fetch(`${proc.url}/health/ready`);
        return response.status === 200;
      },
      120_000,
      100,
    );
    return proc;
  };

  const stopProcess = async (proc: MesProcess, signal: NodeJS.Signals): Promise<void> => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    const exited = new Promise((r) => proc.child.once('exit', r));
    proc.child.kill(signal);
    await exited;
  };

  const statsPort = await freePort();
  const frontPort = await freePort();
  const backendStatus = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const status: Record<string, string> = {};
    for (const line of csv.split('\n')) {
      const cells = line.split(',');
      if (cells[0] === 'api' && cells[1] !== 'BACKEND' && cells[1]) status[cells[1]] = cells[17];
    }
    return status;
  };
  const waitForBackend = async (names: string[], status: string): Promise<void> => {
    await waitFor(`HAProxy to see ${names.join(', ')} ${status}`, async () => {
      const seen = await backendStatus();
      return names.every((name) => seen[name]?.startsWith(status));
    });
  };

  const stop = async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy?.once('exit', r));
      haproxy.kill('SIGTERM');
      await exited;
    }
    await Promise.all(processes.map((p) => stopProcess(p, 'SIGKILL')));
    await sql?.end().catch(() => undefined);
    if (ownsDatabase) {
      const admin = await createConnection(serverParts(MYSQL_SERVER));
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(work, { recursive: true, force: true });
  };

  try {
    // The first instance migrates and seeds the demo plant; the others start on the prepared database.
    processes.push(await spawnMes('api1', 'serve'));
    const rest = await Promise.all(
      Array.from({ length: options.instances - 1 }, (_, i) => spawnMes(`api${i + 2}`, 'serve')),
    );
    processes.push(...rest);
    let worker = options.worker ? await spawnMes('worker', 'worker') : null;
    if (worker) processes.push(worker);
    const instances = processes.filter((p) => p.name.startsWith('api'));
    // Slot name → port; a surge restart moves an instance into the free slot.
    const slots = new Map(instances.map((p) => [p.name, p.port]));
    if (options.spare) slots.set('spare', await freePort());

    const config = [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      // A readiness answer slowed by load is not a failure; a refused connection or 503 is.
      '  timeout check 3s',
      // A connection refused or reset before a request was sent goes to another instance.
      '  retries 3',
      '  option redispatch',
      'frontend front',
      `  bind 127.0.0.1:${frontPort}`,
      '  default_backend api',
      'frontend stats',
      `  bind 127.0.0.1:${statsPort}`,
      '  stats enable',
      '  stats uri /stats',
      'backend api',
      '  balance roundrobin',
      '  option httpchk GET /health/ready',
      '  http-check expect status 200',
      '  default-server inter 100ms fastinter 100ms downinter 100ms fall 1 rise 2',
      ...[...slots].map(([name, port]) => `  server ${name} 127.0.0.1:${port} check`),
      '',
    ].join('\n');
    const configFile = join(work, 'haproxy.cfg');
    writeFileSync(configFile, config);
    let haproxyLog = '';
    haproxy = spawn('haproxy', ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    await waitFor('HAProxy', async () => {
      if (haproxy?.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
      return (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).ok;
    });
    await waitForBackend(
      instances.map((p) => p.name),
      'UP',
    );
    sql = await createConnection(serverParts(databaseUrl));
    const url = `http://127.0.0.1:${frontPort}`;

    const restart = async (index: number) => {
      const old = instances[index];
      await stopProcess(old, 'SIGTERM');
      const fresh = await spawnMes(old.name, 'serve', old.port);
      instances[index] = fresh;
      processes[processes.indexOf(old)] = fresh;
      await waitForBackend([old.name], 'UP');
    };

    const cluster: Cluster = {
      url,
      databaseUrl,
      redisPrefix,
      instances,
      worker,
      sql,
      env: commonEnv,
      stopWorker: async () => {
        if (worker) await stopProcess(worker, 'SIGTERM');
      },
      crashWorker: async () => {
        if (worker) await stopProcess(worker, 'SIGKILL');
      },
      startWorker: async () => {
        const fresh = await spawnMes('worker', 'worker');
        if (worker) processes.splice(processes.indexOf(worker), 1);
        processes.push(fresh);
        worker = fresh;
        cluster.worker = fresh;
      },
      login: async (username) => {
        const response = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: CLUSTER_PASSWORD }),
        });
        if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
        return ((await response.json()) as { data: { accessToken: string } }).data.accessToken;
      },
      backendStatus,
      waitForBackend,
      restart,
      surgeRestart: async (index) => {
        const old = instances[index];
        const [freeSlot, freePortNumber] =
          [...slots].find(([, port]) => !instances.some((p) => p.port === port)) ?? [];
        if (!freeSlot || !freePortNumber)
          throw new Error('surgeRestart needs a cluster started with spare: true');
        const fresh = await spawnMes(old.name, 'serve', freePortNumber);
        processes.push(fresh);
        await waitForBackend([freeSlot], 'UP');
        await stopProcess(old, 'SIGTERM');
        processes.splice(processes.indexOf(old), 1);
        instances[index] = fresh;
      },
      crash: async (index) => {
        await stopProcess(instances[index], 'SIGKILL');
        await waitForBackend([instances[index].name], 'DOWN');
      },
      stop,
    };
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Counts of a load run: every answer by status, and failures that never got one. */
export interface LoadResult {
  statuses: Record<number, number>;
  networkErrors: number;
  /** Ids of the records whose creation was acknowledged (201). */
  acknowledged: number[];
  latenciesMs: number[];
  /** The first answer body of each status other than 200 and 201, for the failure message. */
  samples: Record<number, string>;
}

/**
 * Sends requests from `concurrency` callers in a loop until `until` resolves: each is `request()`
 * returning the fetch; 201 answers with `data.id` are recorded as acknowledged writes.
 */
export async function runLoad(
  concurrency: number,
  request: () => Promise<Response>,
  until: Promise<unknown>,
): Promise<LoadResult> {
  const result: LoadResult = {
    statuses: {},
    networkErrors: 0,
    acknowledged: [],
    latenciesMs: [],
    samples: {},
  };
  let done = false;
  void until.finally(() => (done = true));
  const caller = async () => {
    while (!done) {
      const started = Date.now();
      try {
        const response = await request();
        result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
        const text = await response.text();
        if (response.status === 201) {
          const id = (JSON.parse(text) as { data?: { id?: number } }).data?.id;
          if (id !== undefined) result.acknowledged.push(id);
        } else if (response.status !== 200) result.samples[response.status] ??= text.slice(0, 500);
      } catch {
        result.networkErrors++;
      }
      result.latenciesMs.push(Date.now() - started);
    }
  };
  await Promise.all([until, ...Array.from({ length: concurrency }, caller)]);
  return result;
}
