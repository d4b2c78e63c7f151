/**
 * The dashboard builder of the Metadata Studio over HTTP, as the roles that do the job, on SQLite and
 * MariaDB: the analyst previews a draft dashboard with live data computed as themselves (a widget
 * over an entity they cannot read carries its 403, a widget over a table the draft changes says it
 * needs publishing), a bad widget is refused on its element, the reviewer publishes the change set
 * and the dashboard is served to the roles it is shared with, and to no one else.
 */
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { waitFor } from '../../support/wait-for';
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { dataOf } from './studio-client';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface ChangeSet {
  id: number;
  version: number;
}

interface Widget {
  id: string;
  value?: number | null;
  points?: { key: unknown; series?: unknown; value: number | null }[];
  kpi?: { value: number | null };
  error?: { code: string };
}

const lineLoad = (widgets: Record<string, unknown>[]) => ({
  dashboard: 'line_load',
  label: { en: 'Line load', zh: '产线负荷' },
  module: 'bi',
  roles: ['production_planner'],
  filters: ['plant', 'line', 'dateRange'],
  widgets,
});

const WIDGETS = [
  {
    id: 'orders_by_line',
    type: 'bar',
    title: { en: 'Work orders by line', zh: '各产线工单' },
    entity: 'work_order',
    groupBy: 'line.line_code',
    dimensions: { time: 'planned_start', line: 'line', plant: 'line.plant' },
    span: 12,
  },
  {
    id: 'planned_by_line_and_status',
    type: 'stacked',
    title: { en: 'Planned quantity', zh: '计划数量' },
    entity: 'work_order',
    measure: { fn: 'sum', field: 'planned_quantity' },
    groupBy: 'line.line_code',
    seriesBy: 'status',
    filter: "status != 'CANCELLED'",
    span: 12,
  },
  { id: 'scrap', type: 'card', title: { en: 'Scrap rate', zh: '报废率' }, kpi: 'scrap_rate', span: 6 },
  {
    id: 'shifts',
    type: 'card',
    title: { en: 'Shifts', zh: '班次' },
    entity: 'shift',
    span: 6,
  },
];

describe.each<Dialect>(TEST_DIALECTS)('Dashboard builder on %s', (dialect) => {
  let mes: SecurityServer;
  const ids: Record<string, number> = {};
  const preview = (content: unknown, filters?: Record<string, unknown>, as = 'analyst') =>
    mes.call(as, 'POST', '/api/studio/dashboard-preview', {
      content,
      dashboard: 'line_load',
      ...(filters ? { filters } : {}),
    });
  const widget = (dashboard: { widgets: Widget[] }, id: string) =>
    dashboard.widgets.find((w) => w.id === id)!;

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'studiodash');
    const model = mes.server.registry.current();
    const [admin] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'admin'",
    );
    const engine = new EntityService(mes.database);
    const ctx: RequestContext = { tenantId: 'DEMO', userId: String(admin.id), traceId: 'dash-seed', model };
    const create = async (entity: string, body: EntityRecord) =>
      Number((await engine.create(entity, body, ctx)).id);
    ids.plant = await create('plant', { plantCode: 'P1', plantName: 'Plant one' });
    ids.line1 = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: ids.plant });
    ids.line2 = await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: ids.plant });
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = (ids.item = await create('item_master', {
      itemName: 'Housing',
      itemType: 'FINISHED',
      uomId: uom,
    }));
    const order = (lineId: number, plannedQuantity: number, plannedStart: string) =>
      create('work_order', { itemId: item, lineId, plannedQuantity, plannedStart });
    await order(ids.line1, 10, '2026-12-01T08:00:00Z');
    await order(ids.line1, 5, '2026-12-02T08:00:00Z');
    await order(ids.line2, 7, '2026-12-01T08:00:00Z');
    await order(ids.line1, 3, '2026-11-20T08:00:00Z');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('previews a draft dashboard with live data as the analyst, within their permissions', async () => {
    const content = { documents: [lineLoad(WIDGETS)] };
    expect((await preview(content, undefined, 'operator')).statusCode).toBe(403);
    const result = dataOf<{ errors: unknown[]; dashboard: { name: string; widgets: Widget[] } }>(
      await preview(content),
    );
    expect(result.errors).toEqual([]);
    expect(result.dashboard.name).toBe('line_load');
    expect(widget(result.dashboard, 'orders_by_line').points).toEqual([
      { key: 'L1', value: 3 },
      { key: 'L2', value: 1 },
    ]);
    expect(widget(result.dashboard, 'planned_by_line_and_status').points).toEqual(
      expect.arrayContaining([
        { key: 'L1', series: 'DRAFT', value: 18 },
        { key: 'L2', series: 'DRAFT', value: 7 },
      ]),
    );
    // No work reports yet: the KPI computes (as the analyst) to no value.
    expect(widget(result.dashboard, 'scrap')).toMatchObject({ kpi: { value: null } });
    // The analyst may not read shifts: that widget alone carries the refusal.
    expect(widget(result.dashboard, 'shifts').error?.code).toBe('FORBIDDEN');

    // The shared filters apply to the preview as to the dashboard.
    const filtered = dataOf<{ dashboard: { widgets: Widget[] } }>(
      await preview(content, { line: ids.line1, from: '2026-12-01', to: '2026-12-03' }),
    );
    expect(widget(filtered.dashboard, 'orders_by_line').points).toEqual([{ key: 'L1', value: 2 }]);
    const badFilter = await preview(content, { from: 'yesterday' });
    expect(badFilter.statusCode).toBe(400);
    expect(badFilter.json().errors[0]).toMatchObject({ path: '/filters/from', rule: 'format' });
  });

  it('refuses a bad widget on its element and says which widgets wait for the publish', async () => {
    const bad = dataOf<{ errors: { document: string; path: string; rule: string }[]; dashboard: null }>(
      await preview({
        documents: [lineLoad([{ ...WIDGETS[0], groupBy: 'line.nope' }])],
      }),
    );
    expect(bad.dashboard).toBeNull();
    expect(bad.errors).toContainEqual(
      expect.objectContaining({
        document: 'studio/dashboard/line_load',
        path: '/widgets/0/groupBy',
        rule: 'dashboard-field',
      }),
    );
    const missing = await mes.call('analyst', 'POST', '/api/studio/dashboard-preview', {
      content: { documents: [lineLoad(WIDGETS)] },
      dashboard: 'other',
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors[0]).toMatchObject({ path: '/dashboard', rule: 'dashboard' });

    // A dashboard over an entity the same draft creates: its data exists once published.
    const entity = {
      entity: 'line_note',
      label: { en: 'Line note', zh: '产线备注' },
      module: 'production',
      database: 'core',
      display: 'note',
      fields: { note: { type: 'string', length: 200, label: { en: 'Note', zh: '备注' } } },
    };
    const notes = dataOf<{ errors: unknown[]; dashboard: { widgets: Widget[] } }>(
      await preview({
        documents: [
          entity,
          lineLoad([{ id: 'notes', type: 'card', title: { en: 'Notes', zh: '备注' }, entity: 'line_note' }]),
        ],
      }),
    );
    expect(notes.errors).toEqual([]);
    expect(widget(notes.dashboard, 'notes').error?.code).toBe('NOT_PUBLISHED');
  });

  it('publishes the dashboard through review; it is served to the roles it is shared with', async () => {
    const created = dataOf<ChangeSet>(
      await mes.call('analyst', 'POST', '/api/studio/change-sets', {
        title: 'Line load dashboard',
        content: {
          documents: [{ ...lineLoad(WIDGETS.slice(0, 1)), roles: ['production_planner', 'operator'] }],
        },
      }),
    );
    // The analyst edits the saved draft: a second widget.
    const edited = dataOf<ChangeSet>(
      await mes.call('analyst', 'PATCH', `/api/studio/change-sets/${created.id}`, {
        version: created.version,
        content: {
          documents: [{ ...lineLoad(WIDGETS.slice(0, 2)), roles: ['production_planner', 'operator'] }],
        },
      }),
    );
    const submitted = dataOf<{ record: ChangeSet }>(
      await mes.call('analyst', 'POST', `/api/studio/change-sets/${created.id}/actions/submit`, {
        version: edited.version,
      }),
    ).record;
    expect(
      (
        await mes.call('analyst', 'POST', `/api/studio/change-sets/${created.id}/publish`, {
          version: submitted.version,
        })
      ).statusCode,
    ).toBe(403);
    const published = dataOf<{ version: number }>(
      await mes.call('reviewer', 'POST', `/api/studio/change-sets/${created.id}/publish`, {
        version: submitted.version,
      }),
    );
    expect(published.version).toBeGreaterThan(0);

    const listed = dataOf<{ name: string }[]>(await mes.call('planner', 'GET', '/api/bi/dashboards'));
    expect(listed.map((d) => d.name)).toContain('line_load');
    const served = dataOf<{ widgets: Widget[] }>(
      await mes.call('planner', 'GET', '/api/bi/dashboards/line_load'),
    );
    expect(served.widgets.map((w) => w.id)).toEqual(['orders_by_line', 'planned_by_line_and_status']);
    expect(widget(served, 'orders_by_line').points).toEqual([
      { key: 'L1', value: 3 },
      { key: 'L2', value: 1 },
    ]);
    // Shared with the planner and the operator only: the analyst who built it does not see it among their dashboards.
    const theirs = dataOf<{ name: string }[]>(await mes.call('analyst', 'GET', '/api/bi/dashboards'));
    expect(theirs.map((d) => d.name)).not.toContain('line_load');
    expect((await mes.call('analyst', 'GET', '/api/bi/dashboards/line_load')).statusCode).toBe(403);
  });

  it('serves widget results from the cache until a write moves the numbers, per caller', async () => {
    const ordersByLine = async (user: string) =>
      widget(
        dataOf<{ widgets: Widget[] }>(await mes.call(user, 'GET', '/api/bi/dashboards/line_load')),
        'orders_by_line',
      );
    const outputByLine = async (user: string) => (await ordersByLine(user)).points;
    expect(await outputByLine('planner')).toEqual([
      { key: 'L1', value: 3 },
      { key: 'L2', value: 1 },
    ]);
    // The operator's lines are row-scoped, so grouping by a line's code is refused to them: they get
    // their own answer, never the planner's cached numbers.
    expect(await ordersByLine('operator')).toMatchObject({ error: { code: 'FORBIDDEN' } });

    dataOf<{ id: number }>(
      await mes.call('planner', 'POST', '/api/work-orders', {
        itemId: ids.item,
        lineId: ids.line2,
        plannedQuantity: 4,
        plannedStart: '2026-12-03T08:00:00Z',
      }),
    );
    // Once the invalidation consumer has taken the order's event in, the next read has the new order.
    await waitFor('the dashboard consumer to drop the cached result', async () => {
      const byLine = await outputByLine('planner');
      return (
        JSON.stringify(byLine) ===
        JSON.stringify([
          { key: 'L1', value: 3 },
          { key: 'L2', value: 2 },
        ])
      );
    });
    expect(await ordersByLine('operator')).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});
