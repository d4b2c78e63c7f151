import type { TraceDirection, TraceEdge, TraceNode } from '../contracts/trace';
import type { SqlExecutor } from '../data/database';
import { parseNodeKey } from './genealogy';
import { walkGenealogy } from './genealogy-store';

export type { TraceDirection, TraceNode };

export interface TraceOptions {
  tenant: string;
  start: string;
  direction: TraceDirection;
  /** Levels to walk; default 20, at most 50. */
  maxDepth?: number;
  /** Edges returned at most; default 5000. Beyond it the result is marked truncated. */
  maxEdges?: number;
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
 * Walks the genealogy from one node (`walkGenealogy`, one recursive statement). Reverse follows
 * edges into the node (what it was made from), forward out of it (what it went into).
 */
export async function traceGenealogy(sql: SqlExecutor, options: TraceOptions): Promise<TraceGraph> {
  const depthLimit = Math.min(Math.max(1, options.maxDepth ?? DEFAULT_TRACE_DEPTH), MAX_TRACE_DEPTH);
  const maxEdges = options.maxEdges ?? DEFAULT_MAX_EDGES;
  const rows = await walkGenealogy(sql, {
    tenant: options.tenant,
    start: options.start,
    reverse: options.direction === 'reverse',
    depthLimit,
    limit: maxEdges + 1,
  });
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
