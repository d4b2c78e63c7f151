import type { SqlExecutor } from '../data/database';
import { parseNodeKey } from './genealogy';

export type TraceDirection = 'reverse' | 'forward';

export interface TraceOptions {
  tenant: string;
  start: string;
  direction: TraceDirection;
  /** Levels to walk; default 20, at most 50. */
  maxDepth?: number;
  /** Edges returned at most; default 5000. Beyond it the result is marked truncated. */
  maxEdges?: number;
}

export interface TraceNode {
  id: string;
  kind: string;
  key: string;
  /** Shortest distance from the start node. */
  depth: number;
}

export interface TraceEdge {
  from: string;
  to: string;
  relation: string;
  depth: number;
}

export interface TraceGraph {
  nodes: TraceNode[];
  edges: TraceEdge[];
  depthLimit: number;
  truncated: boolean;
}

export const DEFAULT_TRACE_DEPTH = 20;
export const MAX_TRACE_DEPTH = 50;
const DEFAULT_MAX_EDGES = 5000;

/**
 * Walks the genealogy from one node with one recursive CTE, the same SQL on MySQL 8/MariaDB and
 * SQLite. Reverse follows edges into the node (what it was made from), forward out of it (what it
 * went into). Cycles and diamonds are guarded by UNION (a distinct edge at a given depth is walked
 * once) and the depth limit; the outer GROUP BY keeps each edge at its shortest depth. The anchor
 * reads the start edges from the table so the CTE's columns take the table's types on MariaDB.
 */
export async function traceGenealogy(sql: SqlExecutor, options: TraceOptions): Promise<TraceGraph> {
  const depthLimit = Math.min(Math.max(1, options.maxDepth ?? DEFAULT_TRACE_DEPTH), MAX_TRACE_DEPTH);
  const maxEdges = options.maxEdges ?? DEFAULT_MAX_EDGES;
  const [near, far] = options.direction === 'reverse' ? ['to_key', 'from_key'] : ['from_key', 'to_key'];
  const rows = await sql.query<{
    from_key: string;
    to_key: string;
    relation: string;
    depth: number | string;
  }>(
    `WITH RECURSIVE walk (from_key, to_key, relation, depth) AS (
       SELECT from_key, to_key, relation, 1 FROM trace_genealogy WHERE tenant_id = ? AND ${near} = ?
       UNION
       SELECT g.from_key, g.to_key, g.relation, w.depth + 1
         FROM walk w JOIN trace_genealogy g ON g.tenant_id = ? AND g.${near} = w.${far}
        WHERE w.depth < ?
     )
     SELECT from_key, to_key, relation, MIN(depth) AS depth FROM walk
      GROUP BY from_key, to_key, relation LIMIT ${maxEdges + 1}`,
    [options.tenant, options.start, options.tenant, depthLimit],
  );
  const truncated = rows.length > maxEdges;
  // Sorted here rather than in SQL: a sort of the grouped rows is the costliest step of the query on MariaDB.
  const edges = rows
    .slice(0, maxEdges)
    .map((row) => ({ from: row.from_key, to: row.to_key, relation: row.relation, depth: Number(row.depth) }))
    .sort((a, b) => a.depth - b.depth || compare(a.from, b.from) || compare(a.to, b.to));
  return { nodes: nodesOf(options, edges), edges, depthLimit, truncated };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nodesOf(options: TraceOptions, edges: readonly TraceEdge[]): TraceNode[] {
  const depths = new Map<string, number>([[options.start, 0]]);
  for (const edge of edges) {
    const reached = options.direction === 'reverse' ? edge.from : edge.to;
    const known = depths.get(reached);
    if (known === undefined || edge.depth < known) depths.set(reached, edge.depth);
  }
  return [...depths].map(([id, depth]) => ({ id, ...parseNodeKey(id), depth }));
}
