/** The statements of the genealogy (trace_genealogy): append edges, walk them, find a node. */
import type { SqlExecutor } from '../data/database';
import { sqlTime } from '../data/sql';

export interface GenealogyRow {
  from: string;
  to: string;
  relation: string;
  quantity: number | null;
  refType: string | null;
  refId: string | null;
}

export async function insertGenealogyEdges(
  tx: SqlExecutor,
  tenant: string,
  edges: readonly GenealogyRow[],
): Promise<void> {
  if (edges.length === 0) return;
  const now = sqlTime(new Date());
  await tx.execute(
    `INSERT INTO trace_genealogy (tenant_id, from_key, to_key, relation, quantity, ref_type, ref_id, occurred_at)
     VALUES ${edges.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    edges.flatMap((edge) => [
      tenant,
      edge.from,
      edge.to,
      edge.relation,
      edge.quantity,
      edge.refType,
      edge.refId,
      now,
    ]),
  );
}

/**
 * The edges reached from `start` in one recursive CTE, the same SQL on MySQL 8/MariaDB and SQLite,
 * each at its shortest depth, at most `limit`. `reverse` follows edges into the node, else out of it.
 * Cycles and diamonds are guarded by UNION (a distinct edge at a given depth is walked once) and
 * the depth limit. The anchor reads the start edges from the table so the CTE's columns take the
 * table's types on MariaDB.
 */
export function walkGenealogy(
  sql: SqlExecutor,
  walk: { tenant: string; start: string; reverse: boolean; depthLimit: number; limit: number },
): Promise<{ from_key: string; to_key: string; relation: string; depth: number | string }[]> {
  const [near, far] = walk.reverse ? ['to_key', 'from_key'] : ['from_key', 'to_key'];
  return sql.query<{ from_key: string; to_key: string; relation: string; depth: number | string }>(
    `WITH RECURSIVE walk (from_key, to_key, relation, depth) AS (
       SELECT from_key, to_key, relation, 1 FROM trace_genealogy WHERE tenant_id = ? AND ${near} = ?
       UNION
       SELECT g.from_key, g.to_key, g.relation, w.depth + 1
         FROM walk w JOIN trace_genealogy g ON g.tenant_id = ? AND g.${near} = w.${far}
        WHERE w.depth < ?
     )
     SELECT from_key, to_key, relation, MIN(depth) AS depth FROM walk
      GROUP BY from_key, to_key, relation LIMIT ${walk.limit}`,
    [walk.tenant, walk.start, walk.tenant, walk.depthLimit],
  );
}

/** Whether any edge starts or ends at the node. */
export async function genealogyHasNode(sql: SqlExecutor, tenant: string, node: string): Promise<boolean> {
  const found = await sql.query(
    'SELECT 1 AS hit FROM trace_genealogy WHERE tenant_id = ? AND (from_key = ? OR to_key = ?) LIMIT 1',
    [tenant, node, node],
  );
  return found.length > 0;
}
