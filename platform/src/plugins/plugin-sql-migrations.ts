/**
 * Hand-written plugin migrations: `migrations/<id>.sql` (both databases) or `<id>.mysql.sql` /
 * `<id>.sqlite.sql` (one each), run in id order after the tables were migrated from the metadata,
 * each once per plugin (ids recorded in ext_plugin). They carry what metadata cannot express: seed
 * rows, data moves between versions, views. Each file runs in one transaction.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { runStatementsInTransaction } from '../data/statements';

export interface SqlMigration {
  id: string;
  file: string;
}

/** A migration file failed (its transaction rolled back) or has no variant for this database. */
export class SqlMigrationError extends Error {
  constructor(
    readonly migration: string,
    message: string,
  ) {
    super(`migration ${migration}: ${message}`);
    this.name = 'SqlMigrationError';
  }
}

type Dialect = 'mysql' | 'sqlite';

/** The migrations of the plugin not run yet, in id order, for the database's dialect. */
export function pendingSqlMigrations(
  folder: string,
  dialect: Dialect,
  applied: readonly string[],
): SqlMigration[] {
  if (!existsSync(folder)) return [];
  const byId = new Map<string, Partial<Record<Dialect | 'any', string>>>();
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.sql'))) {
    const match = /^(.+?)(?:\.(mysql|sqlite))?\.sql$/.exec(file);
    if (!match) continue;
    const variants = byId.get(match[1]) ?? {};
    variants[(match[2] as Dialect | undefined) ?? 'any'] = join(folder, file);
    byId.set(match[1], variants);
  }
  const pending: SqlMigration[] = [];
  for (const id of [...byId.keys()].sort()) {
    if (applied.includes(id)) continue;
    const variants = byId.get(id)!;
    const file = variants[dialect] ?? variants.any;
    if (!file)
      throw new SqlMigrationError(id, `has no ${dialect} variant (${id}.${dialect}.sql or ${id}.sql)`);
    pending.push({ id, file });
  }
  return pending;
}

/** Runs the migrations one by one; returns the ids run. Stops at the first failure (SqlMigrationError). */
export async function runSqlMigrations(
  dataSource: DataSource,
  migrations: readonly SqlMigration[],
): Promise<string[]> {
  const done: string[] = [];
  for (const migration of migrations) {
    const statements = splitStatements(readFileSync(migration.file, 'utf8'));
    try {
      await runStatementsInTransaction(dataSource, statements);
    } catch (error) {
      throw new SqlMigrationError(migration.id, error instanceof Error ? error.message : String(error));
    }
    done.push(migration.id);
  }
  return done;
}

export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb' ? 'mysql' : 'sqlite';
}

/** Statements end with `;` at the end of a line; `--` comment lines are dropped. */
function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of sql.split(/\r?\n/)) {
    if (line.trim().startsWith('--')) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      statements.push(current.join('\n').trim().replace(/;$/, ''));
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest);
  return statements.filter((s) => s.length > 0);
}
