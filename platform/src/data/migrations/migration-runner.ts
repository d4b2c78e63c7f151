import { resolve } from 'node:path';
import { MigrationExecutor, type DataSource, type MigrationInterface } from 'typeorm';
import { placedRunner } from '../table-placement';

export interface MigrationState {
  name: string;
  /** Milliseconds since the epoch, from the class name. */
  timestamp: number;
  applied: boolean;
}

/**
 * Where the migration classes are: `dist/database/migrations/*.js` once built, the `.ts` sources
 * when running from source (ts-jest). Pass it as `migrations` to createDataSource.
 */
export function migrationFilesGlob(): string {
  const extension = __filename.endsWith('.ts') ? 'ts' : 'js';
  return resolve(__dirname, '..', '..', '..', '..', 'database', 'migrations', `*.${extension}`);
}

/**
 * Runs every pending migration, oldest first, each in its own transaction (MySQL commits DDL
 * implicitly, so a failure leaves the migrations before it applied). Returns the names applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = await withMigrationExecutor(dataSource, (executor) => executor.executePendingMigrations());
  return applied.map((m) => m.name);
}

/** Reverts the most recently applied migration; returns its name, or undefined when none is applied. */
export async function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  const before = appliedNames(await migrationStatus(dataSource));
  if (before.size === 0) return undefined;
  await withMigrationExecutor(dataSource, (executor) => executor.undoLastMigration());
  const after = appliedNames(await migrationStatus(dataSource));
  return [...before].find((name) => !after.has(name));
}

/** Every known migration in order with whether it is applied. */
export async function migrationStatus(dataSource: DataSource): Promise<MigrationState[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    const table = dataSource.options.migrationsTableName ?? 'migrations';
    const applied = new Set<string>();
    if (await queryRunner.hasTable(table)) {
      const rows: { name: string }[] = await queryRunner.query(
        `SELECT ${quote(dataSource, 'name')} AS name FROM ${quote(dataSource, table)}`,
      );
      for (const row of rows) applied.add(row.name);
    }
    return dataSource.migrations
      .map((migration) => ({
        name: migrationName(migration),
        timestamp: timestampOf(migrationName(migration)),
      }))
      .sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name))
      .map((m) => ({ ...m, applied: applied.has(m.name) }));
  } finally {
    await queryRunner.release();
  }
}

/**
 * TypeORM's migration executor on a runner that places the tables of logical databases configured
 * apart (DATABASE_SCHEMA_*) in their schema; each migration runs in its own transaction.
 */
async function withMigrationExecutor<T>(
  dataSource: DataSource,
  work: (executor: MigrationExecutor) => Promise<T>,
): Promise<T> {
  const runner = placedRunner(dataSource.createQueryRunner());
  try {
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    return await work(executor);
  } finally {
    await runner.release();
  }
}

function appliedNames(states: MigrationState[]): Set<string> {
  return new Set(states.filter((s) => s.applied).map((s) => s.name));
}

function migrationName(migration: MigrationInterface): string {
  return migration.name ?? migration.constructor.name;
}

/** TypeORM's rule: the class name ends with the 13-digit timestamp. */
function timestampOf(name: string): number {
  return Number(/(\d{13})$/.exec(name)?.[1] ?? 0);
}

function quote(dataSource: DataSource, identifier: string): string {
  return dataSource.driver.escape(identifier);
}
