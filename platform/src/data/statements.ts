import type { DataSource } from 'typeorm';
import type { SqlExecutor } from './database';
import type { CompiledSql } from './query-compiler';

/** Runs a statement the data room compiled (a list page, its count, an aggregate). */
export function runCompiled<T = Record<string, unknown>>(
  exec: SqlExecutor,
  statement: CompiledSql,
): Promise<T[]> {
  return exec.query<T>(statement.sql, statement.params);
}

/** One round trip that proves the database answers (readiness). */
export async function pingDatabase(dataSource: DataSource): Promise<void> {
  await dataSource.query('SELECT 1');
}

/** Runs statements someone else wrote (a plugin's SQL migration) in one transaction. */
export async function runStatementsInTransaction(
  dataSource: DataSource,
  statements: readonly string[],
): Promise<void> {
  await dataSource.transaction(async (manager) => {
    for (const statement of statements) await manager.query(statement);
  });
}
