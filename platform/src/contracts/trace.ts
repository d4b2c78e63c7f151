/** Types of the traceability API (`/api/trace/{reverse,forward}`) the browser app reads; type-only, no runtime code. */

export type TraceDirection = 'reverse' | 'forward';

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

/** The nodes a trace reached, grouped by kind, plus the graph itself. */
export interface TraceReport {
  direction: TraceDirection;
  start: string;
  serials: TraceNode[];
  lots: TraceNode[];
  supplierLots: TraceNode[];
  receipts: TraceNode[];
  workOrders: TraceNode[];
  operations: TraceNode[];
  molds: TraceNode[];
  inspections: TraceNode[];
  boxes: TraceNode[];
  pallets: TraceNode[];
  shipments: TraceNode[];
  graph: { nodes: TraceNode[]; edges: TraceEdge[] };
  depthLimit: number;
  truncated: boolean;
}
