/**
 * Live dashboards: once the change of a record a dashboard reads is committed and its rollups are
 * up to date (this consumer runs after the rollup consumer on the same events), every open live
 * stream of the tenant hears `dashboard.changed` naming the entity, and screens showing a dashboard
 * over that entity reload it. The message carries only the entity name; the data is read again as
 * the viewer, with their permissions.
 */
import type { Model } from '../../../metadata/src/model';
import type { DashboardDef, KpiDef } from '../../../metadata/src/types';
import type { EventConsumer } from '../events/consumer';
import type { LiveChannel } from '../events/live-channel';
import { kpisOf } from './kpi-engine';

export const DASHBOARD_CHANGED = 'dashboard.changed';

/** Every entity a dashboard's widgets and KPIs read (a KPI widget may show another dashboard's KPI). */
export function entitiesRead(dashboard: DashboardDef, model: Model): Set<string> {
  const entities = new Set<string>();
  const kpis = kpisOf(model);
  const kpiEntities = (kpi: KpiDef | undefined) => {
    if (!kpi) return;
    entities.add(kpi.entity);
    if (kpi.oee) entities.add(kpi.oee.downtime.entity);
  };
  for (const widget of dashboard.widgets) {
    if (widget.entity) entities.add(widget.entity);
    if (widget.kpi) kpiEntities(kpis.get(widget.kpi));
  }
  for (const kpi of Object.values(dashboard.kpis ?? {})) kpiEntities(kpi);
  return entities;
}

export function dashboardInvalidationConsumer(model: () => Model, live: LiveChannel): EventConsumer {
  const current = model();
  const read = new Set([...current.dashboards.values()].flatMap((d) => [...entitiesRead(d, current)]));
  const types = [...read].flatMap((name) => {
    const entity = current.entities.get(name);
    return entity ? [...new Set([...Object.values(entity.events), `${name}.*`])] : [];
  });
  return {
    name: 'bi.dashboard-invalidation',
    types,
    handle(event, tx) {
      const entity = event.entity;
      if (entity)
        tx.afterCommit(() => {
          void live
            .publish(
              { tenantId: event.tenant, kind: 'tenant' },
              { event: DASHBOARD_CHANGED, data: { entity } },
            )
            .catch(() => undefined);
        });
      return Promise.resolve();
    },
  };
}
