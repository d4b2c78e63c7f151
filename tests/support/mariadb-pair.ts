/**
 * A MariaDB primary (binary log on, GTID) and a replica of it, each a `mariadbd` of its own with a
 * data directory under a temp folder, its own port and socket. The shared MariaDB of the machine runs
 * without a binary log (it cannot be switched on without a restart), so replication is shown on this
 * private pair. `stop()` ends both servers and removes their data, also after a failed start.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection } from 'mysql2/promise';
import { freePort, waitFor } from './cluster';

const run = promisify(execFile);

export interface MariaDbServer {
  port: number;
  url(database: string): string;
  /** A connection, to `database` when given. */
  connect(database?: string): Promise<Connection>;
  /** Stops the server process (SIGTERM, waits for the exit). */
  halt(): Promise<void>;
  /** Starts it again on the same data directory and port. */
  resume(): Promise<void>;
}

export interface MariaDbPair {
  primary: MariaDbServer;
  replica: MariaDbServer;
  /** Seconds the replica is behind (`Seconds_Behind_Master`) and whether both threads run. */
  replicaStatus(): Promise<{ running: boolean; secondsBehind: number | null; gtid: string }>;
  /** Waits until the replica has applied everything the primary wrote so far (GTID position). */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(root: string, name: string, serverId: number): Promise<MariaDbServer> {
  const datadir = join(root, name);
  // Temporary tables in a folder of its own: nothing else on the machine can touch them.
  const tmp = join(root, `${name}-tmp`);
  mkdirSync(tmp);
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${tmp}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';
  const server: MariaDbServer = {
    port,
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    connect: (database) => createConnection({ host: '127.0.0.1', port, user: 'root', database }),
    halt: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    resume: async () => {
      child = spawn(
        '/usr/sbin/mariadbd',
        [
          '--no-defaults',
          '--user=root',
          `--datadir=${datadir}`,
          `--tmpdir=${tmp}`,
          `--port=${port}`,
          `--socket=${join(root, `${name}.sock`)}`,
          `--pid-file=${join(root, `${name}.pid`)}`,
          '--bind-address=127.0.0.1',
          '--skip-name-resolve',
          `--server-id=${serverId}`,
          `--log-bin=${join(datadir, 'binlog')}`,
          '--binlog-format=ROW',
          '--innodb-buffer-pool-size=64M',
          '--innodb-log-file-size=16M',
          '--performance-schema=OFF',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-5000)));
      await waitFor(
        `mariadbd ${name} on ${port}`,
        async () => {
          if (child?.exitCode !== null) throw new Error(`mariadbd ${name} exited:\n${log}`);
          const connection = await server.connect();
          await connection.end();
          return true;
        },
        60_000,
        100,
      );
    },
  };
  await server.resume();
  return server;
}

export async function startMariaDbPair(): Promise<MariaDbPair> {
  const root = mkdtempSync(join(tmpdir(), 'mes-mariadb-pair-'));
  const servers: MariaDbServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.halt().catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled([
      startServer(root, 'primary', 1),
      startServer(root, 'replica', 2),
    ]);
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [primary, replica] = servers;
    const onReplica = await replica.connect();
    await onReplica.query(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
    );
    await onReplica.query('START SLAVE');
    await onReplica.end();

    const replicaStatus = async () => {
      const connection = await replica.connect();
      try {
        const [rows] = (await connection.query('SHOW SLAVE STATUS')) as unknown as [
          Record<string, unknown>[],
        ];
        const status = rows[0] ?? {};
        return {
          running: status.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes',
          secondsBehind: status.Seconds_Behind_Master === null ? null : Number(status.Seconds_Behind_Master),
          gtid: String(status.Gtid_IO_Pos ?? ''),
        };
      } finally {
        await connection.end();
      }
    };
    await waitFor('replication running', async () => (await replicaStatus()).running, 30_000, 100);
    const caughtUp = async () => {
      const onPrimary = await primary.connect();
      const [[position]] = (await onPrimary.query('SELECT @@gtid_binlog_pos AS pos')) as unknown as [
        { pos: string }[],
      ];
      await onPrimary.end();
      const connection = await replica.connect();
      try {
        await connection.query('SELECT MASTER_GTID_WAIT(?, 30) AS waited', [position.pos]);
      } finally {
        await connection.end();
      }
    };
    return { primary, replica, replicaStatus, caughtUp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
