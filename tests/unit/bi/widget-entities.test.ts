/**
 * What a widget's cached result depends on: besides the entity it aggregates, every entity its paths
 * pass through — including the relations of its filter and of its measures' conditions and factors —
 * so a change to a related record drops the result at once instead of at the 60-second expiry.
 */
import { compileModel } from '../../../metadata/src/model';
import type { DashboardDef, DashboardWidget } from '../../../metadata/src/types';
import { validateMetadata } from '../../../metadata/src/validator';
import { widgetEntities } from '../../../platform/src/bi/dashboard-invalidation';
import { BI_CHANGED, WidgetCache, type CacheCaller } from '../../../platform/src/bi/widget-cache';
import type { SharedFilters } from '../../../platform/src/bi/widget-query';
import { createLiveChannel } from '../../../platform/src/events/live-channel';
import { REPO_ROOT } from '../../fixtures/generators/fixture-project';

const model = compileModel(validateMetadata([REPO_ROOT]).set, { version: 1 });

const widget = (overrides: Partial<DashboardWidget>): DashboardWidget => ({
  id: 'w',
  type: 'card',
  title: { en: 'W', zh: 'W' },
  entity: 'work_report',
  measure: { fn: 'sum', field: 'good_quantity' },
  ...overrides,
});
const dashboard = (widgets: DashboardWidget[]): DashboardDef => ({
  dashboard: 'test',
  label: { en: 'Test', zh: 'Test' },
  module: 'bi',
  widgets,
});
const read = (w: DashboardWidget) => [...widgetEntities(dashboard([w]), w, model)].sort();

describe('widgetEntities', () => {
  it('reads the entities a filter passes through', () => {
    expect(read(widget({}))).toEqual(['work_report']);
    expect(read(widget({ filter: "workstation.line.line_code == 'L1'" }))).toEqual([
      'production_line',
      'work_report',
      'workstation',
    ]);
    expect(read(widget({ filter: "work_order.item.item_type == 'FINISHED'" }))).toEqual([
      'item_master',
      'work_order',
      'work_report',
    ]);
  });

  it("reads the entities of a measure's condition and factor", () => {
    const conditioned = widget({
      measure: { fn: 'count', where: "defect_code.code == 'D1'" },
    });
    expect(read(conditioned)).toEqual(['qms_code', 'work_report']);
    const factor = widget({
      measure: { fn: 'sum', field: 'good_quantity', times: 'workstation.cycle_time_sec' },
    });
    expect(read(factor)).toEqual(['work_report', 'workstation']);
  });

  it('reads the equipment state history and the planned time of an OEE KPI', () => {
    const oee = read({ id: 'oee', type: 'gauge', title: { en: 'OEE', zh: 'OEE' }, kpi: 'oee' });
    expect(oee).toEqual(
      expect.arrayContaining([
        'equipment_state',
        'production_line',
        'plant',
        'shift',
        'calendar',
        'work_report',
        'workstation',
      ]),
    );
  });

  it('drops a cached result when a record its filter reads through a relation changes', async () => {
    const live = createLiveChannel(null, 'test', () => undefined);
    const cache = new WidgetCache(live);
    const filtered = widget({ filter: "workstation.line.line_code == 'L1'" });
    const entities = widgetEntities(dashboard([filtered]), filtered, model);
    const caller: CacheCaller = {
      tenantId: 'T',
      principal: {
        userId: '1',
        username: 'manager',
        tenantId: 'T',
        roles: ['production_manager'],
        grantedPermissions: [],
        departmentIds: [],
        departmentTreeIds: [],
        lineIds: [],
        plantIds: [],
        supplierId: null,
      },
      model,
    };
    const filters: SharedFilters = {
      plantId: null,
      lineId: null,
      shiftId: null,
      from: null,
      to: null,
      timeZone: 'UTC',
    };
    let computed = 0;
    const get = () => cache.get(caller, filtered, filters, entities, () => Promise.resolve(++computed));
    const first = await get();
    expect(await get()).toBe(first);
    // A line is renamed: the widget's rows are other rows now.
    await live.publish(BI_CHANGED, {
      event: 'bi.changed',
      data: { tenantId: 'T', entity: 'production_line' },
    });
    expect(await get()).not.toBe(first);
    live.close();
  });
});
