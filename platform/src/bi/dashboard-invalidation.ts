/**
 * Live dashboards: once the change of a record a dashboard reads is committed and its rollups are
 * up to date (this consumer runs after the rollup consumer on the same events), every open live
 * stream of the tenant hears `dashboard.changed` naming the entity, and screens showing a dashboard
 * over that entity reload it. The message carries only the entity name; the data is read again as
 * the viewer, with their permissions.
 */
import { parseExpression, referencedIdentifiers } from '../../../metadata/src/expression';
import type { Model } from '../../../metadata/src/model';
import type {
  DashboardDef,
  DashboardGroupBy,
  DashboardMeasure,
  DashboardWidget,
  KpiDef,
} from '../../../metadata/src/types';
import type { EventConsumer } from '../events/consumer';
import type { LiveChannel } from '../events/live-channel';
import { kpisOf } from './kpi-engine';
import { BI_CHANGED, type BiChange } from './widget-cache';

export const DASHBOARD_CHANGED = 'dashboard.changed';

/** Every entity a dashboard's widgets and KPIs read (a KPI widget may show another dashboard's KPI). */
export function entitiesRead(dashboard: DashboardDef, model: Model): Set<string> {
  const entities = new Set<string>();
  const kpis = kpisOf(model);
  const kpiEntities = (kpi: KpiDef | undefined) => {
    if (!kpi) return;
    entities.add(kpi.entity);
    if (kpi.oee?.downtime) entities.add(kpi.oee.downtime.entity);
    if (kpi.oee?.states) entities.add(kpi.oee.states.entity);
  };
  for (const widget of dashboard.widgets) {
    if (widget.entity) entities.add(widget.entity);
    if (widget.kpi) kpiEntities(kpis.get(widget.kpi));
  }
  for (const kpi of Object.values(dashboard.kpis ?? {})) kpiEntities(kpi);
  return entities;
}

/**
 * Every entity whose rows a widget's numbers depend on: the entities it (or its KPI) aggregates and
 * those its group-by, series, measure (field, `times`, `minus`, `where`), filter, dimension and column
 * paths pass through (`line.line_code` reads production lines; a filter on
 * `workstation.line.line_code` reads workstations and lines).
 */
export function widgetEntities(dashboard: DashboardDef, widget: DashboardWidget, model: Model): Set<string> {
  const entities = entitiesRead({ ...dashboard, kpis: {}, widgets: [widget] }, model);
  const walk = (entityName: string, path: string | undefined) => {
    let entity = model.entities.get(entityName);
    for (const segment of (path ?? '').split('.').slice(0, -1)) {
      const target = entity?.fieldsByName.get(segment)?.relation?.target;
      entity = target ? model.entities.get(target) : undefined;
      if (!entity) return;
      entities.add(entity.name);
    }
  };
  const condition = (entityName: string, expression: string | undefined) => {
    if (expression === undefined) return;
    for (const path of referencedIdentifiers(parseExpression(expression))) walk(entityName, path);
  };
  const measure = (entityName: string, def: DashboardMeasure | undefined) => {
    if (!def) return;
    for (const path of [def.field, def.times, def.minus]) walk(entityName, path);
    condition(entityName, def.where);
  };
  const group = (spec: DashboardGroupBy | undefined) => (typeof spec === 'string' ? spec : spec?.field);
  const paths = (entityName: string, def: Pick<DashboardWidget, 'groupBy' | 'dimensions' | 'filter'>) => {
    walk(entityName, group(def.groupBy));
    condition(entityName, def.filter);
    for (const path of Object.values(def.dimensions ?? {})) walk(entityName, path);
  };
  // A shift bucket is cut by the tenant's shifts.
  const shiftBucket = (spec: DashboardGroupBy | undefined) =>
    typeof spec === 'object' && spec.bucket === 'shift';
  if ((shiftBucket(widget.groupBy) || shiftBucket(widget.seriesBy)) && model.entities.has('shift'))
    entities.add('shift');
  if (widget.entity) {
    paths(widget.entity, widget);
    measure(widget.entity, widget.measure);
    walk(widget.entity, group(widget.seriesBy));
    for (const column of widget.columns ?? []) walk(widget.entity, column);
  }
  const kpi = widget.kpi === undefined ? undefined : kpisOf(model).get(widget.kpi);
  if (kpi) {
    paths(kpi.entity, {
      groupBy: widget.groupBy ?? kpi.groupBy,
      dimensions: kpi.dimensions,
      filter: kpi.filter,
    });
    for (const def of Object.values(kpi.measures)) measure(kpi.entity, def);
    if (kpi.oee) {
      const { downtime, states } = kpi.oee;
      if (downtime) {
        paths(downtime.entity, { dimensions: downtime.dimensions, filter: downtime.filter });
        measure(downtime.entity, downtime.minutes);
        measure(downtime.entity, downtime.failures);
      }
      if (states) {
        paths(states.entity, { dimensions: states.dimensions, filter: states.filter });
        condition(states.entity, states.failures);
      }
      // Planned time: every line of the plant works the shifts of its plant's calendar.
      for (const name of ['production_line', 'plant', 'shift', 'calendar', 'calendar_day'])
        if (model.entities.has(name)) entities.add(name);
    }
  }
  return entities;
}

export function dashboardInvalidationConsumer(model: () => Model, live: LiveChannel): EventConsumer {
  const current = model();
  const read = new Set(
    [...current.dashboards.values()].flatMap((d) => [
      ...entitiesRead(d, current),
      ...d.widgets.flatMap((widget) => [...widgetEntities(d, widget, current)]),
    ]),
  );
  const types = [...read].flatMap((name) => {
    const entity = current.entities.get(name);
    return entity ? [...new Set([...Object.values(entity.events), `${name}.*`])] : [];
  });
  return {
    name: 'bi.dashboard-invalidation',
    types,
    // A repeated invalidation only reloads a widget again.
    claims: false,
    handle(event, tx) {
      const entity = event.entity;
      if (entity)
        tx.afterCommit(() => {
          // Cached widget results of every instance first, then the open dashboards reload.
          const change: BiChange = { tenantId: event.tenant, entity };
          void live
            .publish(BI_CHANGED, { event: 'bi.changed', data: change })
            .then(() =>
              live.publish(
                { tenantId: event.tenant, kind: 'tenant' },
                { event: DASHBOARD_CHANGED, data: { entity } },
              ),
            )
            .catch(() => undefined);
        });
      return Promise.resolve();
    },
  };
}
