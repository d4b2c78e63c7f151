import type { TraceReport } from '../../../platform/src/contracts/trace';

/** Which entity a node kind's business key opens (`SN:…` → serial-numbers/by-code/…). */
export const KIND_PATHS: Record<string, string> = {
  SN: 'serial-numbers',
  LOT: 'production-lots',
  WO: 'work-orders',
  GRN: 'goods-receipts',
  INSP: 'inspections',
  MOLD: 'molds',
  BOX: 'boxes',
  PLT: 'pallets',
  SHP: 'shipments',
};

const KIND_COLORS: Record<string, string> = {
  SN: '#409eff',
  LOT: '#67c23a',
  SLOT: '#95d475',
  WO: '#e6a23c',
  OP: '#f3d19e',
  GRN: '#b37feb',
  INSP: '#f56c6c',
  MOLD: '#909399',
  BOX: '#36cfc9',
  PLT: '#13c2c2',
  SHP: '#2f54eb',
};

/** Lays the nodes out in columns by depth so the genealogy reads left to right. */
export function graphOption(report: TraceReport): Record<string, unknown> {
  const byDepth = new Map<number, number>();
  const nodes = report.graph.nodes.map((node) => {
    const row = byDepth.get(node.depth) ?? 0;
    byDepth.set(node.depth, row + 1);
    return {
      id: node.id,
      name: node.key,
      x: node.depth * 220,
      y: row * 70,
      symbolSize: node.id === report.start ? 46 : 34,
      itemStyle: { color: KIND_COLORS[node.kind] ?? '#999' },
      label: { show: true, position: 'bottom', formatter: `${node.kind}\n${node.key}` },
      value: node.kind,
    };
  });
  const links = report.graph.edges.map((edge) => ({
    source: edge.from,
    target: edge.to,
    label: { show: true, formatter: edge.relation, fontSize: 10 },
  }));
  return {
    tooltip: {},
    series: [
      {
        type: 'graph',
        layout: 'none',
        roam: true,
        data: nodes,
        links,
        edgeSymbol: ['none', 'arrow'],
        lineStyle: { width: 1.5, curveness: 0.1 },
      },
    ],
  };
}
