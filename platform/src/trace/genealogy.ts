import type { SqlExecutor } from '../data/database';
import { insertGenealogyEdges } from './genealogy-store';

/**
 * Kinds of things in the genealogy. A node key is `<KIND>:<business key>` (`SN:SN-LOT-20261125-001-0001`,
 * `LOT:LOT-20261125-001`), so one indexed column identifies a node of any kind.
 */
export const NODE_KINDS = [
  'SLOT',
  'GRN',
  'LOT',
  'SN',
  'WO',
  'OP',
  'MOLD',
  'INSP',
  'BOX',
  'PLT',
  'SHP',
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/**
 * An edge points from what went in to what came out: a supplier lot CONSUMED into a production lot,
 * a lot PRODUCED a serial, a serial PACKED into a box, a box onto a pallet, a pallet SHIPPED.
 */
export interface GenealogyEdge {
  from: string;
  to: string;
  relation: string;
  quantity?: number | null;
  refType?: string | null;
  refId?: string | null;
}

export function nodeKey(kind: NodeKind, key: string | number): string {
  return `${kind}:${String(key)}`;
}

export function parseNodeKey(node: string): { kind: string; key: string } {
  const colon = node.indexOf(':');
  return colon < 0 ? { kind: '', key: node } : { kind: node.slice(0, colon), key: node.slice(colon + 1) };
}

/** Appends genealogy edges inside the caller's transaction (consumption, production, packing, shipping). */
export async function writeGenealogy(
  tx: SqlExecutor,
  tenant: string,
  edges: readonly GenealogyEdge[],
): Promise<void> {
  await insertGenealogyEdges(
    tx,
    tenant,
    edges.map((edge) => ({
      from: edge.from,
      to: edge.to,
      relation: edge.relation,
      quantity: edge.quantity ?? null,
      refType: edge.refType ?? null,
      refId: edge.refId ?? null,
    })),
  );
}
