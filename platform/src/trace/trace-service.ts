import { BadRequestError, NotFoundError } from '../crud/errors';
import type { SqlExecutor } from '../data/database';
import { nodeKey, type NodeKind } from './genealogy';
import { genealogyHasNode } from './genealogy-store';
import type { TraceReport } from '../contracts/trace';
import { traceGenealogy, type TraceDirection, type TraceGraph, type TraceNode } from './trace-query';

/** Query parameters of `GET /api/trace/reverse` and `/forward`, each naming a start node by business key. */
const START_PARAMETERS: Record<string, NodeKind[]> = {
  sn: ['SN'],
  lotId: ['LOT', 'SLOT'],
  boxNo: ['BOX'],
  palletNo: ['PLT'],
  shipmentNo: ['SHP'],
  grnNo: ['GRN'],
};
const FORWARD_PARAMETERS = ['lotId', 'sn', 'boxNo', 'palletNo', 'grnNo'];

export type { TraceReport };

const GROUPS: Record<string, keyof TraceReport> = {
  SN: 'serials',
  LOT: 'lots',
  SLOT: 'supplierLots',
  GRN: 'receipts',
  WO: 'workOrders',
  OP: 'operations',
  MOLD: 'molds',
  INSP: 'inspections',
  BOX: 'boxes',
  PLT: 'pallets',
  SHP: 'shipments',
};

export interface TraceRequest {
  tenant: string;
  direction: TraceDirection;
  /** The raw query string: exactly one start parameter, optional `depth`. */
  query: Readonly<Record<string, unknown>>;
}

/** Resolves the start node from the query, walks the genealogy and groups what it reached. */
export async function traceReport(sql: SqlExecutor, request: TraceRequest): Promise<TraceReport> {
  const allowed = request.direction === 'reverse' ? Object.keys(START_PARAMETERS) : FORWARD_PARAMETERS;
  const given = allowed.filter(
    (name) => typeof request.query[name] === 'string' && request.query[name] !== '',
  );
  if (given.length !== 1) {
    throw new BadRequestError(`Give exactly one of ${allowed.join(', ')}`, {
      errors: [
        {
          field: 'query',
          path: '/query',
          rule: 'oneOf',
          limit: allowed,
          message: `exactly one of ${allowed.join(', ')}`,
        },
      ],
    });
  }
  const parameter = given[0]!;
  const start = await resolveStart(sql, request.tenant, parameter, String(request.query[parameter]));
  const graph = await traceGenealogy(sql, {
    tenant: request.tenant,
    start,
    direction: request.direction,
    maxDepth: parseDepth(request.query.depth),
  });
  return groupTrace(request.direction, start, graph);
}

function parseDepth(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const depth = Number(raw);
  if (!Number.isInteger(depth) || depth < 1 || depth > 50) {
    throw new BadRequestError('depth must be an integer from 1 to 50', {
      errors: [
        {
          field: 'depth',
          path: '/query/depth',
          rule: 'range',
          limit: [1, 50],
          message: 'depth must be 1..50',
        },
      ],
    });
  }
  return depth;
}

async function resolveStart(
  sql: SqlExecutor,
  tenant: string,
  parameter: string,
  key: string,
): Promise<string> {
  for (const kind of START_PARAMETERS[parameter]!) {
    const candidate = nodeKey(kind, key);
    if (await genealogyHasNode(sql, tenant, candidate)) return candidate;
  }
  throw new NotFoundError('trace node', `${parameter}=${key}`);
}

export function groupTrace(direction: TraceDirection, start: string, graph: TraceGraph): TraceReport {
  const report: TraceReport = {
    direction,
    start,
    serials: [],
    lots: [],
    supplierLots: [],
    receipts: [],
    workOrders: [],
    operations: [],
    molds: [],
    inspections: [],
    boxes: [],
    pallets: [],
    shipments: [],
    graph: { nodes: graph.nodes, edges: graph.edges },
    depthLimit: graph.depthLimit,
    truncated: graph.truncated,
  };
  for (const node of graph.nodes) {
    const group = GROUPS[node.kind];
    if (group && node.id !== start) (report[group] as TraceNode[]).push(node);
  }
  return report;
}
