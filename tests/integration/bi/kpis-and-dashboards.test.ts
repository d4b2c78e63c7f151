/**
 * The KPIs declared in dashboard metadata and the dashboard API through the real server on SQLite and
 * MariaDB, against a hand-computed data set: first-pass yield, scrap rate, scrap Pareto, on-time
 * completion, WIP by status and NCR ageing, overall and under the shared filters; the caller's row
 * scope holds for KPIs too; dashboards are listed by role and answer with their widgets' data.
 */
import { rebuildRollups } from '../../../platform/src/bi/rollup-consumer';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('KPIs and dashboards on %s', (dialect) => {
  let mes: SecurityServer;
  const ids: Record<string, number> = {};
  const table = (entity: string) => mes.server.registry.current().entities.get(entity)!.table;
  const get = async (url: string, user = 'admin') => {
    const response = await mes.call(user, 'GET', url);
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json().data;
  };
  const kpi = (name: string, query = '', user = 'admin') => get(`/api/bi/kpis/${name}?${query}`, user);

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'kpis');
    const model = mes.server.registry.current();
    const [admin] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'admin'",
    );
    // The engine without domain hooks: the data set is written as is, readonly states set by SQL below.
    const engine = new EntityService(mes.database);
    const ctx: RequestContext = { tenantId: 'DEMO', userId: String(admin.id), traceId: 'kpi-seed', model };
    const create = async (entity: string, body: EntityRecord) =>
      Number((await engine.create(entity, body, ctx)).id);
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant one' });
    ids.line1 = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: plant });
    ids.line2 = await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: plant });
    const ws1 = await create('workstation', { stationCode: 'WS1', stationName: 'S1', lineId: ids.line1 });
    const ws2 = await create('workstation', { stationCode: 'WS2', stationName: 'S2', lineId: ids.line2 });
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', { itemName: 'Housing', itemType: 'FINISHED', uomId: uom });
    const d1 = await create('qms_code', { codeType: 'DEFECT', code: 'D1', description: 'Scratch' });
    const d2 = await create('qms_code', { codeType: 'DEFECT', code: 'D2', description: 'Dent' });
    const order = (lineId: number, plannedEnd: string | null) =>
      create('work_order', {
        itemId: item,
        lineId,
        plannedQuantity: 10,
        plannedStart: '2026-12-01T00:00:00Z',
        ...(plannedEnd ? { plannedEnd } : {}),
        operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 10 }],
      });
    const woA = await order(ids.line1, null);
    const woB = await order(ids.line2, null);
    const finished: [string, number, string | null, string | null][] = [
      ['RELEASED', woA, null, null],
      ['IN_PROGRESS', woB, null, null],
      ['ON_HOLD', await order(ids.line1, null), null, null],
      // On time, late, on time at the minute, and one without a planned end (not counted).
      ['COMPLETED', await order(ids.line1, '2026-12-05T12:00:00Z'), '2026-12-04 12:00:00.000', null],
      ['COMPLETED', await order(ids.line1, '2026-12-05T12:00:00Z'), '2026-12-06 12:00:00.000', null],
      ['COMPLETED', await order(ids.line2, '2026-12-05T12:00:00Z'), '2026-12-05 12:00:00.000', null],
      ['COMPLETED', await order(ids.line2, null), '2026-12-05 12:00:00.000', null],
    ];
    for (const [status, id, actualEnd] of finished)
      await mes.query(`UPDATE ${table('work_order')} SET status = ?, actual_end = ? WHERE id = ?`, [
        status,
        actualEnd,
        id,
      ]);
    const operationOf = async (workOrder: number) =>
      Number(
        (
          await mes.query<{ id: number }>(`SELECT id FROM ${table('wo_operation')} WHERE work_order_id = ?`, [
            workOrder,
          ])
        )[0].id,
      );
    const lot = await create('production_lot', { workOrderId: woA, itemId: item, lotQuantity: 10 });
    const serial = await create('serial_number', { lotId: lot, itemId: item, workOrderId: woA });
    const tests: [number, number, string, string][] = [
      [ws1, 1, 'PASS', '2026-12-01T10:00:00Z'],
      [ws1, 1, 'PASS', '2026-12-01T10:00:00Z'],
      [ws1, 1, 'PASS', '2026-12-01T10:00:00Z'],
      [ws1, 1, 'FAIL', '2026-12-01T10:00:00Z'],
      [ws1, 2, 'PASS', '2026-12-01T10:00:00Z'],
      [ws2, 1, 'PASS', '2026-12-01T10:00:00Z'],
      [ws2, 1, 'FAIL', '2026-12-03T10:00:00Z'],
    ];
    for (const [workstationId, attempt, result, testedAt] of tests)
      await create('test_record', {
        serialNumberId: serial,
        workstationId,
        attempt,
        result,
        testedAt,
        ...(result === 'FAIL' ? { defectCodeId: d1 } : {}),
      });
    const reports: [number, number, number, number, number][] = [
      [woA, ws1, 90, 6, d1],
      [woA, ws1, 50, 4, d2],
      [woB, ws2, 45, 5, d1],
    ];
    for (const [workOrderId, workstationId, goodQuantity, scrapQuantity, defectCodeId] of reports)
      await create('work_report', {
        workOrderId,
        woOperationId: await operationOf(workOrderId),
        workstationId,
        goodQuantity,
        scrapQuantity,
        defectCodeId,
        startTime: '2026-12-01T08:00:00Z',
        endTime: '2026-12-01T09:00:00Z',
      });
    const ageDays = [2, 10, 40, 100, 5];
    for (const [i, days] of ageDays.entries()) {
      const ncr = await create('ncr', {
        title: `Nonconformity ${i}`,
        source: 'IPQC',
        severity: 'LOW',
        category: 'PROCESS',
        description: 'Found on the line',
        workOrderId: woA,
      });
      const created = new Date(Date.now() - days * 86_400_000).toISOString().replace('T', ' ').slice(0, 23);
      await mes.query(`UPDATE ${table('ncr')} SET created_at = ?, status = ? WHERE id = ?`, [
        created,
        i === ageDays.length - 1 ? 'CLOSED' : 'OPEN',
        ncr,
      ]);
    }
    const [operator] = await mes.query<{ id: number; version: number }>(
      "SELECT id, version FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'operator'",
    );
    // The data set bypassed the events that keep the rollups, as a bulk load would: rebuild them.
    await rebuildRollups(mes.database, model, 'DEMO');
    const patched = await mes.call('admin', 'PATCH', `/api/users/${operator.id}`, {
      linesIds: [ids.line1],
      version: Number(operator.version),
    });
    if (patched.statusCode !== 200) throw new Error(patched.body);
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('computes first-pass yield overall, by line and under a date range', async () => {
    expect(await kpi('first_pass_yield')).toMatchObject({
      value: 66.6667,
      measures: { passed: 4, tested: 6 },
      unit: 'percent',
      target: 95,
    });
    expect((await kpi('first_pass_yield', `line=${ids.line1}`)).value).toBe(75);
    const byLine = await kpi('first_pass_yield', 'groupBy=workstation.line.line_code');
    expect(byLine.points).toEqual([
      { key: 'L1', value: 75 },
      { key: 'L2', value: 50 },
    ]);
    const december1 = await kpi('first_pass_yield', 'from=2026-12-01&to=2026-12-02');
    expect(december1).toMatchObject({ value: 80, applied: { dateRange: true, line: false } });
  });

  it('computes scrap rate and the scrap Pareto by defect code', async () => {
    expect(await kpi('scrap_rate')).toMatchObject({ value: 7.5, measures: { scrap: 15, good: 185 } });
    expect((await kpi('scrap_rate', `line=${ids.line1}`)).value).toBe(6.6667);
    const pareto = await kpi('defect_pareto');
    expect(pareto.value).toBe(15);
    expect(pareto.points).toEqual([
      { key: 'D1', value: 11, share: 73.3333, cumulativeShare: 73.3333 },
      { key: 'D2', value: 4, share: 26.6667, cumulativeShare: 100 },
    ]);
  });

  it('computes on-time completion, WIP by status and NCR ageing', async () => {
    expect(await kpi('on_time_completion')).toMatchObject({
      value: 66.6667,
      measures: { on_time: 2, completed: 3 },
    });
    expect((await kpi('on_time_completion', `line=${ids.line1}`)).value).toBe(50);
    expect((await kpi('wip_by_status')).points).toEqual([
      { key: 'IN_PROGRESS', value: 1 },
      { key: 'ON_HOLD', value: 1 },
      { key: 'RELEASED', value: 1 },
    ]);
    const ageing = await kpi('ncr_ageing');
    expect(ageing.value).toBe(4);
    expect(ageing.points).toEqual([
      { key: '0-7', value: 1 },
      { key: '8-30', value: 1 },
      { key: '31-90', value: 1 },
      { key: '>90', value: 1 },
    ]);
  });

  it("computes a KPI only over the caller's rows", async () => {
    // The operator sees work orders of line 1 only, and only their own work reports (none).
    expect((await kpi('on_time_completion', '', 'operator')).value).toBe(50);
    expect(await kpi('scrap_rate', '', 'operator')).toMatchObject({
      value: null,
      measures: { scrap: 0, good: 0 },
    });
  });

  it('lists the dashboards of the caller by role and permission', async () => {
    const names = async (user: string) =>
      ((await get('/api/bi/dashboards', user)) as { name: string }[]).map((d) => d.name);
    expect(await names('planner')).toEqual(['inventory', 'production', 'quality']);
    expect(await names('operator')).toEqual(['production']);
    expect(await names('auditor')).toEqual([]);
    expect((await mes.call('operator', 'GET', '/api/bi/dashboards/quality')).statusCode).toBe(403);
  });

  it('offers in the menu only the dashboards shared with the caller', async () => {
    const menuRoutes = async (user: string) =>
      ((await get('/api/auth/me', user)) as { menu: { items: { route?: string }[] }[] }).menu
        .flatMap((menu) => menu.items.map((item) => item.route))
        .filter((route) => route?.startsWith('/dashboards/'))
        .sort();
    expect(await menuRoutes('supervisor')).toEqual(['/dashboards/shift_floor']);
    expect(await menuRoutes('manager')).toContain('/dashboards/plant_overview');
    expect(await menuRoutes('operator')).toEqual(['/dashboards/production']);
  });

  it('names the home dashboard of each role and the entities every dashboard reads', async () => {
    const home = async (user: string) =>
      ((await get('/api/bi/dashboards', user)) as { name: string; home: boolean }[])
        .filter((d) => d.home)
        .map((d) => d.name);
    expect(await home('planner')).toEqual(['production']);
    expect(await home('inspector')).toEqual(['quality']);
    expect(await home('clerk')).toEqual(['inventory']);
    expect(await home('analyst')).toEqual([]);
    expect(await home('manager')).toEqual(['plant_overview']);
    expect(await home('supervisor')).toEqual(['shift_floor']);
    expect(await home('leader')).toEqual(['shift_floor']);
    const [production] = (
      (await get('/api/bi/dashboards', 'planner')) as { name: string; entities: string[] }[]
    ).filter((d) => d.name === 'production');
    expect(production.entities).toEqual(['test_record', 'work_order', 'work_report']);
  });

  it('answers a dashboard with its widgets under the shared filters', async () => {
    const dashboard = await get(`/api/bi/dashboards/production?line=${ids.line1}&tz=Asia/Shanghai`);
    const widget = (id: string) => dashboard.widgets.find((w: { id: string }) => w.id === id);
    expect(widget('fpy').kpi).toMatchObject({ value: 75, applied: { line: true } });
    expect(widget('active_work_orders')).toMatchObject({ value: 2, applied: { line: true } });
    // A day bucket carries its instants in the dashboard's zone, for the drill-down.
    expect(widget('output_by_day').points).toEqual([
      {
        key: '2026-12-01',
        value: 140,
        range: { gte: '2026-11-30T16:00:00.000Z', lt: '2026-12-01T16:00:00.000Z' },
      },
    ]);
    expect(widget('output_by_day').drillDown).toMatchObject({
      groupField: null,
      groupTimeField: 'startTime',
    });
    expect(widget('open_work_orders').rows.map((row: { line: string }) => row.line)).toEqual([
      'Line 1',
      'Line 1',
    ]);
    expect(widget('open_work_orders').drillDown).toMatchObject({ path: 'work-orders' });
    const bad = await mes.call('admin', 'GET', '/api/bi/dashboards/production?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/from');
  });

  it("answers the manager's plant overview with stacked and heatmap widgets grouped two ways", async () => {
    const dashboard = await get('/api/bi/dashboards/plant_overview?tz=Asia/Shanghai', 'manager');
    const widget = (id: string) => dashboard.widgets.find((w: { id: string }) => w.id === id);
    expect(widget('output_by_line')).toMatchObject({
      type: 'stacked',
      groupBy: 'startTime:day',
      seriesBy: 'workstation.line.lineCode',
      points: [
        { key: '2026-12-01', series: 'L1', value: 140 },
        { key: '2026-12-01', series: 'L2', value: 45 },
      ],
      drillDown: { groupField: null, seriesField: 'workstation.line.lineCode' },
    });
    expect(widget('scrap_heatmap')).toMatchObject({
      type: 'heatmap',
      points: [
        { key: 'L1', series: null, value: 10 },
        { key: 'L2', series: null, value: 5 },
      ],
    });
    expect(widget('scrap').kpi.value).toBe(7.5);
    expect(widget('fpy').kpi.value).toBe(66.6667);
    expect(dashboard.widgets.filter((w: { error?: unknown }) => w.error)).toEqual([]);
    // The supervisor's shift floor, under the line filter; the manager's dashboard is not theirs.
    const floor = await get(`/api/bi/dashboards/shift_floor?line=${ids.line1}`, 'supervisor');
    const onFloor = (id: string) => floor.widgets.find((w: { id: string }) => w.id === id);
    expect(onFloor('output').value).toBe(140);
    expect(onFloor('reports').value).toBe(2);
    expect(onFloor('on_hold').value).toBe(1);
    expect(onFloor('station_shift').points).toEqual([{ key: 'WS1', series: null, value: 140 }]);
    expect((await mes.call('supervisor', 'GET', '/api/bi/dashboards/plant_overview')).statusCode).toBe(403);
  });
});
