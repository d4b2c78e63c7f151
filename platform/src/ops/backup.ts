/**
 * `mes backup` / `mes restore`: a backup is a folder with the database (a `mariadb-dump` of the
 * MySQL/MariaDB database taken in one consistent transaction, or a copy of the SQLite file made
 * with SQLite's online backup), the key files the server generated (sensitive-field encryption key,
 * JWT secret) when keys are not given in the environment, and a manifest with the row count of every
 * table. Restoring refuses a database that already has tables and a key file that differs, then
 * compares the counts and verifies the audit chain. The bytes of attached files are not in a backup:
 * the `attachment` rows are (name, size, SHA-256, storage key), and the manifest records where the
 * files are (`MES_FILES_DIR` or the S3 bucket and prefix), to be backed up by their own means.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import { verifyAuditChain, type AuditVerification } from '../audit/audit-verify';
import { sealAuditChains } from '../audit/audit-sealer';
import { createDataSource, describeDatabase, type DatabaseConfig } from '../data/connection';
import type { MysqlDatabaseConfig } from '../data/connection';
import { EngineDatabase } from '../data/database';
import { tableCounts } from '../data/table-counts';
import { fileStoreLocation } from '../files/storage-config';
import { projectRoot } from '../config/project-root';
import { DEFAULT_JWT_SECRET_FILE } from '../security/jwt-secret';
import { DEFAULT_KEY_FILE } from '../security/crypto/key-ring';

export interface BackupManifest {
  format: 1;
  createdAt: string;
  source: string;
  dialect: 'sqlite' | 'mysql';
  /**
   * Rows per table: of the SQLite copy itself; of MySQL/MariaDB when the dump began (equal to the
   * dump when nothing wrote meanwhile).
   */
  tables: Record<string, number>;
  /** Key files copied into `keys/`, by the environment variable naming their location. */
  keys: Record<string, string>;
  /**
   * MySQL with logical databases placed apart (DATABASE_SCHEMA_*): the dumped database and each
   * placed schema by logical name (`default` for DATABASE_URL's), all in the one dump.
   */
  databases?: Record<string, string>;
  /**
   * Where the attached files were kept when the backup was taken (`local` and the folder, `s3` and
   * `s3://bucket/prefix`): not in the backup; the `attachment` rows name them by storage key.
   */
  files?: { storage: 'local' | 's3'; location: string };
}

const DUMP_FILE = 'database.sql';
const SQLITE_FILE = 'database.sqlite';

async function rowCounts(config: DatabaseConfig): Promise<Record<string, number>> {
  const dataSource = await createDataSource(config);
  try {
    return await tableCounts(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** The key files this environment uses, by variable: only those the server generated (no key in the environment). */
function keyFiles(env: NodeJS.ProcessEnv): Record<string, string> {
  const files: Record<string, string> = {};
  if (!env.MES_ENCRYPTION_KEY?.trim())
    files.MES_ENCRYPTION_KEY_FILE = resolve(env.MES_ENCRYPTION_KEY_FILE?.trim() || DEFAULT_KEY_FILE);
  if (!env.MES_JWT_SECRET?.trim()) files.MES_JWT_SECRET_FILE = resolve(DEFAULT_JWT_SECRET_FILE);
  return files;
}

export async function backup(
  config: DatabaseConfig,
  outDir: string,
  env: NodeJS.ProcessEnv,
): Promise<BackupManifest> {
  if (existsSync(join(outDir, 'manifest.json'))) throw new Error(`${outDir} already holds a backup`);
  const files = fileStoreLocation(env, projectRoot());
  mkdirSync(join(outDir, 'keys'), { recursive: true });
  const dataSource = await createDataSource(config);
  try {
    await sealAuditChains(new EngineDatabase(dataSource));
    if (config.dialect === 'sqlite') {
      const db = (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
      await db.backup(join(outDir, SQLITE_FILE));
    }
  } finally {
    await dataSource.destroy();
  }
  // A running server writes on meanwhile: SQLite's rows are counted in the copy itself.
  const tables = await rowCounts(
    config.dialect === 'sqlite' ? { ...config, path: join(outDir, SQLITE_FILE) } : config,
  );
  if (config.dialect === 'mysql') await dump(config, join(outDir, DUMP_FILE));
  const keys: Record<string, string> = {};
  for (const [variable, file] of Object.entries(keyFiles(env))) {
    if (!existsSync(file)) continue;
    const name = variable === 'MES_ENCRYPTION_KEY_FILE' ? 'encryption.key' : 'jwt.secret';
    copyFileSync(file, join(outDir, 'keys', name));
    keys[variable] = name;
  }
  const manifest: BackupManifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    source: describeDatabase(config),
    dialect: config.dialect,
    tables,
    keys,
    files,
    ...(config.dialect === 'mysql' &&
      Object.keys(config.schemas).length > 0 && { databases: dumpedDatabases(config) }),
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

export interface RestoreReport {
  manifest: BackupManifest;
  /** Tables whose row count differs from the manifest: table → [in the backup, restored]. */
  countDifferences: Record<string, [number, number]>;
  audit: AuditVerification;
  keysRestored: string[];
}

export async function restore(
  config: DatabaseConfig,
  fromDir: string,
  env: NodeJS.ProcessEnv,
): Promise<RestoreReport> {
  const manifest = JSON.parse(readFileSync(join(fromDir, 'manifest.json'), 'utf8')) as BackupManifest;
  if (manifest.dialect !== config.dialect)
    throw new Error(`the backup is of a ${manifest.dialect} database; DATABASE_URL is ${config.dialect}`);
  const names = config.dialect === 'mysql' ? targetNames(manifest, config) : null;
  const keysRestored = restoreKeys(manifest, fromDir, env);
  if (config.dialect === 'sqlite') {
    if (existsSync(config.path)) throw new Error(`${config.path} exists: restore into a new file`);
    mkdirSync(dirname(resolve(config.path)), { recursive: true });
    copyFileSync(join(fromDir, SQLITE_FILE), config.path);
  } else {
    const probe = await createDataSource(config, { createDatabase: true });
    try {
      const existing = Object.keys(await tableCounts(probe));
      if (existing.length > 0)
        throw new Error(
          `${describeDatabase(config)} already has ${existing.length} tables: restore into an empty database`,
        );
    } finally {
      await probe.destroy();
    }
    await load(config, join(fromDir, DUMP_FILE), names);
  }
  const dataSource = await createDataSource(config);
  try {
    const restored = await tableCounts(dataSource);
    const countDifferences: Record<string, [number, number]> = {};
    for (const table of new Set([...Object.keys(manifest.tables), ...Object.keys(restored)]))
      if ((manifest.tables[table] ?? -1) !== (restored[table] ?? -1))
        countDifferences[table] = [manifest.tables[table] ?? 0, restored[table] ?? 0];
    const audit = await verifyAuditChain(new EngineDatabase(dataSource).executor());
    return { manifest, countDifferences, audit, keysRestored };
  } finally {
    await dataSource.destroy();
  }
}

/** Puts the backed-up key files where this environment reads them; a different existing key is refused. */
function restoreKeys(manifest: BackupManifest, fromDir: string, env: NodeJS.ProcessEnv): string[] {
  const targets = keyFiles(env);
  const restored: string[] = [];
  for (const [variable, name] of Object.entries(manifest.keys)) {
    const target = targets[variable];
    if (!target) continue;
    const content = readFileSync(join(fromDir, 'keys', name));
    if (existsSync(target)) {
      if (!readFileSync(target).equals(content))
        throw new Error(`${target} holds another key than the backup's keys/${name}: move it away first`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: 0o600 });
    restored.push(target);
  }
  return restored;
}

function clientArgs(config: MysqlDatabaseConfig): string[] {
  return [`--host=${config.host}`, `--port=${config.port}`, `--user=${config.user}`, '--protocol=TCP'];
}

/** The password goes through the environment, never the command line (visible to every user in ps). */
function clientEnv(config: MysqlDatabaseConfig): NodeJS.ProcessEnv {
  return { ...process.env, MYSQL_PWD: config.password };
}

function dumpedDatabases(config: MysqlDatabaseConfig): Record<string, string> {
  return { default: config.database, ...config.schemas } as Record<string, string>;
}

/** Source database name → the target's, for a dump of several databases; null for a single one. */
function targetNames(manifest: BackupManifest, config: MysqlDatabaseConfig): Map<string, string> | null {
  const source = manifest.databases;
  const target = dumpedDatabases(config);
  const placedApart = (names: Record<string, string> | undefined) =>
    Object.keys(names ?? {})
      .filter((logical) => logical !== 'default')
      .sort()
      .join(', ');
  if (placedApart(source) !== placedApart(target))
    throw new Error(
      `the backup places [${placedApart(source)}] in schemas of their own; this environment places [${placedApart(target)}]: set the same DATABASE_SCHEMA_* variables`,
    );
  if (!source) return null;
  return new Map(Object.entries(source).map(([logical, name]) => [name, target[logical]]));
}

/** One transaction for the database and every placed schema, so the audit log matches the data. */
function dump(config: MysqlDatabaseConfig, file: string): Promise<void> {
  const placed = Object.values(config.schemas);
  const args = [
    ...clientArgs(config),
    '--single-transaction',
    '--routines',
    '--triggers',
    '--hex-blob',
    '--default-character-set=utf8mb4',
    ...(placed.length > 0
      ? ['--no-create-db', '--databases', config.database, ...placed]
      : [config.database]),
  ];
  return runClient(process.env.MES_DUMP_COMMAND?.trim() || 'mariadb-dump', args, config, { out: file });
}

/** Loads a dump; one of several databases has its `USE` lines pointed at the target's names. */
function load(config: MysqlDatabaseConfig, file: string, names: Map<string, string> | null): Promise<void> {
  const args = [...clientArgs(config), '--default-character-set=utf8mb4', config.database];
  const input = names
    ? Readable.from(
        renameDatabases(createInterface({ input: createReadStream(file), crlfDelay: Infinity }), names),
      )
    : createReadStream(file);
  return runClient(process.env.MES_MYSQL_COMMAND?.trim() || 'mariadb', args, config, { in: input });
}

async function* renameDatabases(
  lines: AsyncIterable<string>,
  names: Map<string, string>,
): AsyncGenerator<string> {
  for await (const line of lines) {
    const use = /^USE `([^`]+)`;$/.exec(line);
    const target = use ? names.get(use[1]) : undefined;
    yield `${target ? `USE \`${target}\`;` : line}\n`;
  }
}

function runClient(
  command: string,
  args: string[],
  config: MysqlDatabaseConfig,
  streams: { in?: Readable; out?: string },
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env: clientEnv(config),
      stdio: [streams.in ? 'pipe' : 'ignore', streams.out ? 'pipe' : 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (streams.in && child.stdin) streams.in.pipe(child.stdin);
    const output = streams.out ? createWriteStream(streams.out, { mode: 0o600 }) : null;
    const written = output
      ? new Promise<void>((done, fail) => output.once('finish', done).once('error', fail))
      : Promise.resolve();
    if (output && child.stdout) child.stdout.pipe(output);
    child.once('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
      written.then(resolvePromise, reject);
    });
  });
}
