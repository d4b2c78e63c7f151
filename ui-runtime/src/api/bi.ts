/** The BI API: dashboards with their widgets' data, computed on the server as the signed-in user. */
import type {
  DashboardData,
  DashboardSummary,
  KpiPoint,
  KpiResult,
  WidgetData,
} from '../../../platform/src/contracts/bi';
import { api } from './http';

export type { DashboardData as Dashboard, DashboardSummary };

/** A point of a widget's chart, a KPI's or a group's, read alike: what only the other kind carries is absent. */
export type Point = KpiPoint & NonNullable<WidgetData['points']>[number];

/** A widget as the screens read it: its own points and its KPI's are both {@link Point}s. */
export type Widget = Omit<WidgetData, 'kpi' | 'points'> & {
  kpi?: Omit<KpiResult, 'points'> & { points: Point[] };
  points?: Point[];
};

export interface DashboardFilters {
  plant?: number | null;
  line?: number | null;
  shift?: number | null;
  from?: string | null;
  to?: string | null;
}

export function fetchDashboard(name: string, filters: DashboardFilters): Promise<DashboardData> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  return api<DashboardData>('GET', `/api/bi/dashboards/${encodeURIComponent(name)}?${params}`);
}

export function fetchDashboards(): Promise<DashboardSummary[]> {
  return api<DashboardSummary[]>('GET', '/api/bi/dashboards');
}
