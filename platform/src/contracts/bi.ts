/** Types of the BI API (`/api/bi/dashboards[/:name]`) the browser app reads; type-only, no runtime code. */
import type { DashboardDef, DashboardWidget, KpiDef } from '../../../metadata/src/types';
import type { EntityRecord } from './crud';

/** Which of the dashboard's shared filters a widget's data honours. */
export interface AppliedFilters {
  plant: boolean;
  line: boolean;
  shift: boolean;
  dateRange: boolean;
}

/** The sums of one line × production day × shift cell of OEE, added up into any grouping. */
export interface OeeComponents {
  plannedMinutes: number;
  downtimeMinutes: number;
  failures: number;
  good: number;
  total: number;
  idealSeconds: number;
}

export interface OeeFigures extends OeeComponents {
  runMinutes: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  mtbf: number | null;
}

export interface ReliabilityFigures {
  failures: number;
  repairMinutes: number;
  operatingMinutes: number;
  mtbf: number | null;
  mttr: number | null;
}

export interface KpiPoint {
  /** The group's label: the group value, the time bucket or the age band. */
  key: unknown;
  value: number | null;
  /** Pareto KPIs: this group's and the running share of the total, in percent. */
  share?: number | null;
  cumulativeShare?: number | null;
  /**
   * OEE KPIs: planned, downtime and run minutes, counts and the three factors of this group;
   * reliability KPIs: failures, repair and operating minutes, MTBF and MTTR.
   */
  figures?: OeeFigures | ReliabilityFigures;
}

/** The list a widget's rows come from, with the filter selecting them. */
export interface DrillDown {
  entity: string;
  path: string;
  filter: Record<string, unknown>;
  groupField: string | null;
  /** Stacked and heatmap widgets: the field of the second grouping (null for a time bucket). */
  seriesField?: string | null;
  /** A group by a time bucket: the field its points' `range` narrows. */
  groupTimeField?: string;
}

export interface KpiResult {
  name: string;
  label: KpiDef['label'];
  formula: KpiDef['formula'];
  unit: KpiDef['unit'] | null;
  target: number | null;
  direction: 'above' | 'below';
  value: number | null;
  /** The named measures over all rows. */
  measures: Record<string, number | null>;
  /** The group term of the points (`status`, `startTime:day`, `age`), or null. */
  groupBy: string | null;
  points: KpiPoint[];
  applied: AppliedFilters;
  drillDown: DrillDown;
}

export interface DashboardSummary {
  name: string;
  label: DashboardDef['label'];
  module: string;
  refreshSeconds: number;
  filters: NonNullable<DashboardDef['filters']>;
  /** Entities the widgets read: a live `dashboard.changed` naming one of them reloads the screen. */
  entities: string[];
  /** The caller holds one of the dashboard's `homeFor` roles: their home page shows it. */
  home: boolean;
}

export interface WidgetData {
  id: string;
  type: DashboardWidget['type'];
  title: DashboardWidget['title'];
  span: number;
  thresholds: DashboardWidget['thresholds'] | null;
  /** KPI widgets: the KPI with its value and points. */
  kpi?: KpiResult;
  /** Aggregate widgets: the value (no groups) or the points by group (and by series value). */
  value?: number | null;
  groupBy?: string | null;
  /** Stacked and heatmap widgets: the second group term. */
  seriesBy?: string | null;
  /**
   * `range`: the instants a time-bucket group covers (`[gte, lt)`), so a drill-down narrows the list
   * to the clicked bucket through the drill-down's `groupTimeField`.
   */
  points?: { key: unknown; series?: unknown; value: number | null; range?: { gte: string; lt: string } }[];
  /** Table widgets: the columns (API paths) and rows. */
  columns?: { key: string; label: { en: string; zh?: string } }[];
  rows?: EntityRecord[];
  applied?: AppliedFilters;
  drillDown?: DrillDown;
  /** Why the caller gets no data for this widget (e.g. 403 on its entity). */
  error?: { code: string; message: string };
}

export interface DashboardData extends DashboardSummary {
  widgets: WidgetData[];
}

/** A KPI the caller may read, as `GET /api/bi/kpis` lists it. */
export interface KpiSummary {
  name: string;
  label: { en: string; zh?: string };
  formula: { en: string; zh?: string };
  entity: string;
  unit: string | null;
  target: number | null;
}

/** `GET /api/calendars/:id/working-time`: the working time of a calendar between two instants. */
export interface CalendarWorkingTime {
  calendar: number;
  timeZone: string;
  from: string;
  to: string;
  /** Working spans within the range, in order, not overlapping; the rest of the range is non-working. */
  working: { start: string; end: string }[];
}
