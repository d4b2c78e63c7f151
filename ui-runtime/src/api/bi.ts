/** The BI API: dashboards with their widgets' data, computed on the server as the signed-in user. */
import { api } from './http';

type I18n = { en: string; zh?: string };

export interface DashboardSummary {
  name: string;
  label: I18n;
  refreshSeconds: number;
  filters: ('plant' | 'line' | 'shift' | 'dateRange')[];
  entities: string[];
  /** The signed-in user's home page shows this dashboard. */
  home: boolean;
}

export interface DrillDown {
  entity: string;
  path: string;
  filter: Record<string, unknown>;
  groupField: string | null;
  /** Stacked and heatmap widgets: the field of the second grouping (null for a time bucket). */
  seriesField?: string | null;
  /** A group by a time bucket: the field each point's `range` narrows. */
  groupTimeField?: string;
}

export interface Point {
  key: unknown;
  /** Stacked and heatmap widgets: the value of the second grouping. */
  series?: unknown;
  value: number | null;
  share?: number | null;
  cumulativeShare?: number | null;
  /** A time-bucket group: the instants the bucket covers, `[gte, lt)`. */
  range?: { gte: string; lt: string };
}

export interface Widget {
  id: string;
  type: 'card' | 'gauge' | 'line' | 'bar' | 'stacked' | 'pie' | 'pareto' | 'heatmap' | 'table';
  title: I18n;
  span: number;
  thresholds: { warning?: number; critical?: number; direction?: 'below' | 'above' } | null;
  kpi?: {
    label: I18n;
    formula: I18n;
    unit: string | null;
    target: number | null;
    value: number | null;
    points: Point[];
  };
  value?: number | null;
  points?: Point[];
  columns?: { key: string; label: I18n }[];
  rows?: Record<string, unknown>[];
  applied?: { plant: boolean; line: boolean; shift: boolean; dateRange: boolean };
  drillDown?: DrillDown;
  error?: { code: string; message: string };
}

export interface Dashboard extends DashboardSummary {
  widgets: Widget[];
}

export interface DashboardFilters {
  plant?: number | null;
  line?: number | null;
  shift?: number | null;
  from?: string | null;
  to?: string | null;
}

export function fetchDashboard(name: string, filters: DashboardFilters): Promise<Dashboard> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  return api<Dashboard>('GET', `/api/bi/dashboards/${encodeURIComponent(name)}?${params}`);
}

export function fetchDashboards(): Promise<DashboardSummary[]> {
  return api<DashboardSummary[]>('GET', '/api/bi/dashboards');
}
