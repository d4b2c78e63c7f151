import type { Model } from '../../../../metadata/src/model';
import type { Principal } from '../principal';
import { ForbiddenError } from '../../crud/errors';
import { accessTo, holds, requireAccess } from './access';
import { scopeFilter } from './row-scope';

/** The entity whose read permission governs each genealogy node kind (platform/src/trace/genealogy.ts). */
export const TRACE_KIND_ENTITIES: Readonly<Record<string, string>> = {
  SN: 'serial_number',
  LOT: 'production_lot',
  SLOT: 'stock_transaction',
  GRN: 'stock_transaction',
  WO: 'work_order',
  OP: 'wo_operation',
  MOLD: 'mold_master',
  INSP: 'inspection',
  BOX: 'box',
  PLT: 'pallet',
  SHP: 'shipment',
};

/** A trace walks serials and lots whatever it starts from: reading both is the least a tracer needs. */
const TRACE_REQUIRES = ['serial_number', 'production_lot'];

/** Start parameters naming a node of a kind beyond serials and lots. */
const START_ENTITIES: Readonly<Record<string, string>> = { boxNo: 'box', palletNo: 'pallet' };

/** What the customer impact report answers with, beyond a trace: the shipments (and their customers). */
const IMPACT_REQUIRES = ['shipment'];
/** The permission of complaint analysis: the customer impact report. */
export const IMPACT_PERMISSION = 'trace:analyse';

/**
 * 403 naming the first permission the trace (`reverse`, `forward`, `impact`) needs and the principal
 * lacks: read on serials, lots and the start kind; for the impact report `trace:analyse` and read on
 * shipments.
 */
export function authorizeTrace(
  principal: Principal,
  model: Model,
  query: Record<string, unknown>,
  route = 'reverse',
): void {
  const start = Object.keys(START_ENTITIES).filter((name) => typeof query[name] === 'string');
  const required = [
    ...TRACE_REQUIRES,
    ...start.map((name) => START_ENTITIES[name]),
    ...(route === 'impact' ? IMPACT_REQUIRES : []),
  ];
  if (route === 'impact' && !holds(principal, model, IMPACT_PERMISSION))
    throw new ForbiddenError(`Permission '${IMPACT_PERMISSION}' required`, { permission: IMPACT_PERMISSION });
  for (const entity of required) requireAccess(principal, model, entity!, 'read');
}

export interface TraceNodeShape {
  id: string;
  kind: string;
  key: string;
}

interface TraceEdgeShape {
  from: string;
  to: string;
}

/** Node kinds the principal may read only in part: the entity and the API name of its key field. */
export interface ScopedTraceKind {
  entity: string;
  /** The field the node key is (the entity's identifier); null when nodes carry no record key. */
  keyField: string | null;
}

/**
 * Kinds whose entity the principal reads under a restricted row scope (line, own, …): each of their
 * nodes is shown only when its record is inside the scope.
 */
export function scopedTraceKinds(principal: Principal, model: Model): Map<string, ScopedTraceKind> {
  const scoped = new Map<string, ScopedTraceKind>();
  for (const [kind, name] of Object.entries(TRACE_KIND_ENTITIES)) {
    const entity = model.entities.get(name);
    if (!entity) continue;
    const access = accessTo(principal, model, name, 'read');
    if (!access.allowed || scopeFilter(principal, model, entity, access.scopes) === null) continue;
    const field = entity.identifier ? entity.fieldsByName.get(entity.identifier.field) : undefined;
    // Supplier lots and receipts are keyed by lot and reference numbers, not by a record's identifier.
    const keyed = field && kind !== 'SLOT' && kind !== 'GRN';
    scoped.set(kind, { entity: name, keyField: keyed ? field.apiName : null });
  }
  return scoped;
}

/**
 * The trace report without the nodes the principal may not read — every node of a kind whose entity
 * it may not read (or that is not in the Model), and the nodes listed in `outOfScope` — leaving every
 * group and the graph, with the edges that touch them.
 */
export function redactTraceReport<T extends Record<string, unknown>>(
  principal: Principal,
  model: Model,
  report: T,
  outOfScope: ReadonlySet<string> = new Set(),
): T {
  const readable = new Map<string, boolean>();
  const mayRead = (kind: string): boolean => {
    let allowed = readable.get(kind);
    if (allowed === undefined) {
      const entity = TRACE_KIND_ENTITIES[kind];
      allowed =
        entity !== undefined &&
        model.entities.has(entity) &&
        accessTo(principal, model, entity, 'read').allowed;
      readable.set(kind, allowed);
    }
    return allowed;
  };
  const result: Record<string, unknown> = {};
  const hidden = new Set<string>(outOfScope);
  const visible = (node: TraceNodeShape) => mayRead(node.kind) && !outOfScope.has(node.id);
  for (const [key, value] of Object.entries(report)) {
    if (Array.isArray(value) && value.every(isTraceNode)) {
      result[key] = value.filter(visible);
      for (const node of value) if (!visible(node)) hidden.add(node.id);
    } else result[key] = value;
  }
  const graph = report.graph as { nodes?: unknown; edges?: unknown } | undefined;
  if (graph && Array.isArray(graph.nodes) && Array.isArray(graph.edges)) {
    const nodes = graph.nodes.filter(isTraceNode);
    for (const node of nodes) if (!mayRead(node.kind)) hidden.add(node.id);
    result.graph = {
      ...graph,
      nodes: nodes.filter((node) => !hidden.has(node.id)),
      edges: (graph.edges as TraceEdgeShape[]).filter(
        (edge) => !hidden.has(edge.from) && !hidden.has(edge.to),
      ),
    };
  }
  return result as T;
}

export function isTraceNode(value: unknown): value is TraceNodeShape {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as TraceNodeShape).id === 'string' &&
    typeof (value as TraceNodeShape).kind === 'string' &&
    typeof (value as TraceNodeShape).key === 'string'
  );
}
