/** Database configuration from the environment: which engine, where, and how logical databases map. */

export type Dialect = 'sqlite' | 'mysql';

/** Logical databases every entity belongs to (docs/architecture.md §4). */
export const LOGICAL_DATABASES = ['core', 'procurement', 'maintenance', 'log', 'bi'] as const;
export type LogicalDatabaseName = (typeof LOGICAL_DATABASES)[number];

export const DEFAULT_DATABASE_URL = 'sqlite:./data/mes.sqlite';
export const DEFAULT_POOL_SIZE = 10;

interface CommonDatabaseConfig {
  /** Connections in the pool (MySQL); SQLite has one synchronous connection. */
  poolSize: number;
  /** Logical database → MySQL schema, only for the ones configured apart from the default database. */
  schemas: Partial<Record<LogicalDatabaseName, string>>;
}

export interface SqliteDatabaseConfig extends CommonDatabaseConfig {
  dialect: 'sqlite';
  /** File path, or `:memory:`. */
  path: string;
}

/** Where one MySQL/MariaDB server is reached. */
export interface MysqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface MysqlDatabaseConfig extends CommonDatabaseConfig, MysqlEndpoint {
  dialect: 'mysql';
  /** Read replicas (DATABASE_REPLICA_URLS); reads of callers who have not just written go there. */
  replicas: MysqlEndpoint[];
}

export type DatabaseConfig = SqliteDatabaseConfig | MysqlDatabaseConfig;

/** A configuration value is wrong; the message names the variable and what it expects. */
export class DatabaseConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'DatabaseConfigError';
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads `DATABASE_URL` (`sqlite:<path>` or `mysql://user:pass@host:port/db`, default
 * `sqlite:./data/mes.sqlite`), `DB_POOL_SIZE` (default 10), `DATABASE_SCHEMA_<LOGICAL>` and
 * `DATABASE_REPLICA_URLS` (comma-separated mysql URLs of read replicas of the same database).
 */
export function loadDatabaseConfig(env: Environment = process.env): DatabaseConfig {
  const url = nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_URL;
  const poolSize = parsePoolSize(env.DB_POOL_SIZE);
  const schemas = parseSchemas(env);
  const replicaUrls = (nonEmpty(env.DATABASE_REPLICA_URLS) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (url.startsWith('sqlite:')) {
    if (replicaUrls.length > 0)
      throw new DatabaseConfigError('DATABASE_REPLICA_URLS', 'read replicas need a mysql:// DATABASE_URL');
    return { dialect: 'sqlite', path: parseSqlitePath(url), poolSize, schemas };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const primary = parseMysqlUrl(url);
    const replicas = replicaUrls.map((replica) => {
      if (!replica.startsWith('mysql://') && !replica.startsWith('mariadb://'))
        throw new DatabaseConfigError(
          'DATABASE_REPLICA_URLS',
          `"${redactUrl(replica)}" is not a mysql:// URL`,
        );
      const { dialect: _dialect, ...endpoint } = parseMysqlUrl(replica, 'DATABASE_REPLICA_URLS');
      if (endpoint.database !== primary.database)
        throw new DatabaseConfigError(
          'DATABASE_REPLICA_URLS',
          `a replica must serve the primary's database "${primary.database}", not "${endpoint.database}"`,
        );
      return endpoint;
    });
    return { ...primary, poolSize, schemas, replicas };
  }
  throw new DatabaseConfigError(
    'DATABASE_URL',
    `unsupported scheme in "${redactUrl(url)}"; expected sqlite:<path> or mysql://user:pass@host:port/db`,
  );
}

/**
 * The MySQL schema holding a logical database's tables, or undefined when it lives in the default
 * database (always on SQLite: every logical database shares the one file).
 */
export function schemaFor(config: DatabaseConfig, logical: string): string | undefined {
  if (config.dialect === 'sqlite') return undefined;
  return config.schemas[logical as LogicalDatabaseName];
}

/** A printable description of where the data lives, without the password. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.dialect === 'sqlite') return `sqlite:${config.path}`;
  const replicas = config.replicas.map((r) => `${r.host}:${r.port}`);
  return `mysql://${config.user}@${config.host}:${config.port}/${config.database}${replicas.length > 0 ? ` (replicas ${replicas.join(', ')})` : ''}`;
}

function parseSqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '') throw new DatabaseConfigError('DATABASE_URL', 'sqlite: needs a file path or :memory:');
  return path;
}

function parseMysqlUrl(
  url: string,
  variable = 'DATABASE_URL',
): Omit<MysqlDatabaseConfig, 'poolSize' | 'schemas' | 'replicas'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError(variable, `"${redactUrl(url)}" is not a valid URL`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!parsed.hostname) throw new DatabaseConfigError(variable, 'mysql URL needs a host');
  if (!/^[A-Za-z0-9_$-]+$/.test(database))
    throw new DatabaseConfigError(variable, 'mysql URL needs a database name as its path (…/mes)');
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  return {
    dialect: 'mysql',
    host: parsed.hostname,
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
  };
}

function parsePoolSize(raw: string | undefined): number {
  const value = nonEmpty(raw);
  if (value === undefined) return DEFAULT_POOL_SIZE;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > 1000)
    throw new DatabaseConfigError('DB_POOL_SIZE', `expected an integer from 1 to 1000, got "${value}"`);
  return size;
}

function parseSchemas(env: Environment): Partial<Record<LogicalDatabaseName, string>> {
  const schemas: Partial<Record<LogicalDatabaseName, string>> = {};
  for (const logical of LOGICAL_DATABASES) {
    const variable = `DATABASE_SCHEMA_${logical.toUpperCase()}`;
    const value = nonEmpty(env[variable]);
    if (value === undefined) continue;
    if (!/^[A-Za-z0-9_$]{1,64}$/.test(value))
      throw new DatabaseConfigError(
        variable,
        `"${value}" is not a valid schema name (letters, digits, _ and $)`,
      );
    schemas[logical] = value;
  }
  return schemas;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
