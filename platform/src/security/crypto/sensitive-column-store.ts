/** The statements of key rotation: sensitive column values read in id batches and rewritten. */
import type { SqlExecutor } from '../../data/database';

/** Up to `limit` stored values of the column after `afterId`, in id order. */
export function sensitiveValues(
  db: SqlExecutor,
  table: string,
  column: string,
  afterId: number,
  limit: number,
): Promise<{ id: number | string; value: string | null }[]> {
  return db.query<{ id: number | string; value: string | null }>(
    `SELECT id, ${column} AS value FROM ${table} WHERE id > ? AND ${column} IS NOT NULL ORDER BY id LIMIT ${limit}`,
    [afterId],
  );
}

export async function rewriteValue(
  tx: SqlExecutor,
  table: string,
  column: string,
  id: number | string,
  value: string,
): Promise<void> {
  await tx.execute(`UPDATE ${table} SET ${column} = ? WHERE id = ?`, [value, id]);
}
