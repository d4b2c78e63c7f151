import type { CompiledEntity } from '../../../metadata/src/model';
import type { SqlExecutor } from './database';
import type { CompiledSql } from './query-compiler';

/**
 * `count=estimated`: the optimizer's row estimate instead of a COUNT(*) over a huge table.
 * MySQL: EXPLAIN of the count query (honours filters through the chosen index). SQLite: the row
 * count ANALYZE stored in sqlite_stat1 when the query is unfiltered; otherwise an exact count, since
 * embedded databases are small. Null when no estimate exists (the caller counts exactly).
 */
export async function estimateCount(
  exec: SqlExecutor,
  entity: CompiledEntity,
  count: CompiledSql,
  filtered: boolean,
): Promise<number | null> {
  if (exec.dialect.name === 'mysql') {
    const plan = await exec.query<{ rows?: number | string | null }>(`EXPLAIN ${count.sql}`, count.params);
    const rows = plan[0]?.rows;
    return rows === undefined || rows === null ? null : Number(rows);
  }
  if (filtered) return null;
  const hasStats = await exec.query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
  );
  if (Number(hasStats[0]?.n ?? 0) === 0) return null;
  const stats = await exec.query<{ stat: string }>('SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1', [
    entity.table,
  ]);
  const first = stats[0]?.stat.split(' ')[0];
  return first === undefined ? null : Number(first);
}
