/**
 * OEE from the equipment state history, as the production manager, on SQLite and MariaDB.
 *
 * Every change of an equipment's status, however it is made, ends the period it was in and opens one
 * in the new state (`equipment_state`, through the record-change path). Availability is the planned
 * time of the plant calendar less the part of the line's BREAKDOWN and STOPPED periods that falls in
 * each planned shift — two machines standing together lose the time once, a period running across a
 * shift change is cut at the shift's edges, a period still open lasts until now.
 *
 * The plant runs in Asia/Shanghai (UTC+8). Shift A is 06:00–14:00 local (22:00–06:00 UTC) less a
 * 30-minute break: 450 planned minutes; shift N 22:00–06:00 local (14:00–22:00 UTC) less 60: 420. Tue
 * 1 Dec 2026 works both. Hand-computed:
 *
 * Line 1 (machines M1, M2; station cycle 60 s)
 *   A: M2 STOPPED 20:00–22:30 (30 min inside A), M1 BREAKDOWN 01:00–02:00 and M2 STOPPED 01:30–02:30
 *      (overlap: 90 min once), M1 BREAKDOWN 05:30–15:00 (30 min in A) → 150 lost; breakdowns starting
 *      in A: 2. N: the rest of that breakdown 14:00–15:00 → 60 lost; M2 MAINTENANCE 16:00–17:00 is
 *      not a loss. Planned 870, lost 210, run 660. Output: 200 + 10 scrap in A, 250 in N → good 450
 *      of 460, ideal 460 × 60 s = 27 600 s.
 *      availability 660/870 = 75.8621 %, performance 27 600/39 600 = 69.697 %, quality 450/460 =
 *      97.8261 %, OEE 51.7241 %.
 * Line 2 (machine M3; cycle 30 s)
 *   N: M3 BREAKDOWN from 18:00, still open → 18:00–22:00 = 240 lost, 1 failure. Planned 870, run
 *   630. Output: 600 + 20 scrap in A, 200 in N → good 800 of 820, ideal 24 600 s.
 *      availability 72.4138 %, performance 24 600/37 800 = 65.0794 %, quality 97.561 %, OEE 45.977 %.
 * Plant: planned 1 740, lost 450, run 1 290, good 1 250 of 1 280, ideal 52 200 s → availability
 *   74.1379 %, performance 67.4419 %, quality 97.6563 %, OEE 48.8281 %; MTBF 1 290 / 3 = 430 min.
 * By shift: A planned 900, lost 150, OEE 55.6894 %; N planned 840, lost 300, OEE 41.6667 %.
 */
import { rebuildRollups } from '../../../platform/src/bi/rollup-consumer';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { EngineDatabase } from '../../../platform/src/data/database';
import type { TestDialect } from '../plugins/plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from '../plugins/business-plugins-harness';

type Kpi = {
  value: number | null;
  measures: Record<string, number | null>;
  points: { key: string; value: number | null; figures?: Record<string, number | null> }[];
};

type Period = {
  id: number;
  equipmentId: number;
  lineId: number | null;
  state: string;
  previousState: string | null;
  startTime: string;
  endTime: string | null;
  durationMinutes: number | null;
};

describe.each<TestDialect>(['sqlite', 'mysql'])('OEE from equipment states on %s', (dialect) => {
  let env: BusinessServer;
  let manager: Call;
  const ids: Record<string, number> = {};
  const day = () => `plant=${ids.plant}&from=2026-12-01&to=2026-12-02`;
  const kpi = async (name: string, query: string) =>
    ok(await manager<Kpi>('GET', `/api/bi/kpis/${name}?${query}`));

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'oee_states');
    manager = env.as('manager');
    const model = env.server.registry.current();
    const database = new EngineDatabase(env.server.dataSource);
    // The engine without domain hooks writes the data set as is, with the periods' own times.
    const engine = new EntityService(database);
    const ctx: RequestContext = {
      tenantId: 'DEMO',
      userId: String(env.userId('admin')),
      traceId: 'oee-states',
      model,
    };
    const create = async (entity: string, body: EntityRecord) =>
      Number((await engine.create(entity, body, ctx)).id);

    ids.shiftA = await create('shift', {
      shiftCode: 'A',
      shiftName: 'Day',
      startTime: '06:00',
      endTime: '14:00',
      breakMinutes: 30,
    });
    ids.shiftN = await create('shift', {
      shiftCode: 'N',
      shiftName: 'Night',
      startTime: '22:00',
      endTime: '06:00',
      crossesMidnight: true,
      breakMinutes: 60,
    });
    const calendar = await create('calendar', {
      calendarCode: 'CAL',
      calendarName: 'Plant calendar',
      year: 2026,
      workingWeekdays: [1, 2, 3, 4, 5],
      defaultShiftsIds: [ids.shiftA, ids.shiftN],
    });
    ids.plant = await create('plant', {
      plantCode: 'P1',
      plantName: 'Plant one',
      timezone: 'Asia/Shanghai',
      calendarId: calendar,
    });
    ids.line1 = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: ids.plant });
    ids.line2 = await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: ids.plant });
    const ws1 = await create('workstation', {
      stationCode: 'WS1',
      stationName: 'S1',
      lineId: ids.line1,
      cycleTimeSec: 60,
    });
    const ws2 = await create('workstation', {
      stationCode: 'WS2',
      stationName: 'S2',
      lineId: ids.line2,
      cycleTimeSec: 30,
    });
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', { itemName: 'Housing', itemType: 'FINISHED', uomId: uom });
    const defect = await create('qms_code', { codeType: 'DEFECT', code: 'D1', description: 'Scratch' });
    const order = (lineId: number) =>
      create('work_order', {
        itemId: item,
        lineId,
        plannedQuantity: 2000,
        plannedStart: '2026-12-01T00:00:00Z',
        operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 2000 }],
      });
    const orders = new Map([
      [ws1, await order(ids.line1)],
      [ws2, await order(ids.line2)],
    ]);
    const operationOf = async (workOrder: number) =>
      Number(
        (
          (await env.server.dataSource.query(
            `SELECT id FROM ${model.entities.get('wo_operation')!.table} WHERE work_order_id = ?`,
            [workOrder],
          )) as { id: number }[]
        )[0].id,
      );
    // [station, good, scrap, start (UTC)]
    const reports: [number, number, number, string][] = [
      [ws1, 200, 10, '2026-12-01T02:00:00Z'], // A
      [ws1, 250, 0, '2026-12-01T15:00:00Z'], // N (23:00 local)
      [ws2, 600, 20, '2026-12-01T03:00:00Z'], // A
      [ws2, 200, 0, '2026-12-01T15:30:00Z'], // N (23:30 local)
      [ws1, 999, 0, '2026-12-02T02:00:00Z'], // the next day: outside the range
    ];
    for (const [workstationId, goodQuantity, scrapQuantity, startTime] of reports) {
      const workOrderId = orders.get(workstationId)!;
      await create('work_report', {
        workOrderId,
        woOperationId: await operationOf(workOrderId),
        workstationId,
        goodQuantity,
        scrapQuantity,
        ...(scrapQuantity > 0 ? { defectCodeId: defect } : {}),
        startTime,
        endTime: startTime,
      });
    }

    const machine = (code: string, lineId: number) =>
      create('equipment', { equipmentCode: code, equipmentName: code, lineId, status: 'RUNNING' });
    const m1 = await machine('M1', ids.line1);
    const m2 = await machine('M2', ids.line1);
    const m3 = await machine('M3', ids.line2);
    const periods: [number, number, string, string, string | null][] = [
      [m2, ids.line1, 'STOPPED', '2026-11-30T20:00:00Z', '2026-11-30T22:30:00Z'],
      [m1, ids.line1, 'BREAKDOWN', '2026-12-01T01:00:00Z', '2026-12-01T02:00:00Z'],
      [m2, ids.line1, 'STOPPED', '2026-12-01T01:30:00Z', '2026-12-01T02:30:00Z'],
      [m1, ids.line1, 'RUNNING', '2026-12-01T02:00:00Z', '2026-12-01T05:30:00Z'],
      [m1, ids.line1, 'BREAKDOWN', '2026-12-01T05:30:00Z', '2026-12-01T15:00:00Z'],
      [m2, ids.line1, 'MAINTENANCE', '2026-12-01T16:00:00Z', '2026-12-01T17:00:00Z'],
      [m3, ids.line2, 'RUNNING', '2026-11-30T00:00:00Z', '2026-12-01T18:00:00Z'],
      [m3, ids.line2, 'BREAKDOWN', '2026-12-01T18:00:00Z', null],
    ];
    for (const [equipmentId, lineId, state, startTime, endTime] of periods)
      await create('equipment_state', { equipmentId, lineId, state, startTime, endTime });
    // The data set bypassed the events that keep the rollups, as a bulk load would: rebuild them.
    await rebuildRollups(database, env.server.registry.current(), 'DEMO');
  }, 300_000);

  afterAll(async () => {
    await env?.close();
  });

  it('records a period for every status change made through the API, and only then', async () => {
    const admin = env.as('admin');
    const created = ok(
      await admin<{ id: number; version: number }>('POST', '/api/equipment', {
        equipmentCode: 'PRS-9',
        equipmentName: 'Press',
        lineId: ids.line1,
        status: 'RUNNING',
      }),
    );
    const broken = ok(
      await admin<{ id: number; version: number; updatedAt: string }>(
        'PATCH',
        `/api/equipment/${created.id}`,
        { status: 'BREAKDOWN', version: created.version },
      ),
    );
    // Another field changes: no new period.
    ok(
      await admin('PATCH', `/api/equipment/${created.id}`, {
        remarks: 'Hydraulic leak',
        version: broken.version,
      }),
    );
    const history = ok(
      await manager<{ items: Period[] }>(
        'GET',
        `/api/equipment-states?filter[equipmentId][eq]=${created.id}&sort=startTime`,
      ),
    ).items;
    expect(history.map((p) => [p.state, p.previousState, p.lineId])).toEqual([
      ['RUNNING', null, ids.line1],
      ['BREAKDOWN', 'RUNNING', ids.line1],
    ]);
    expect(history[0].endTime).toBe(broken.updatedAt);
    expect(history[1].startTime).toBe(broken.updatedAt);
    expect(history[0].durationMinutes).toBeGreaterThanOrEqual(0);
    expect(history[1].endTime).toBeNull();
    // The manager reads the history but does not write it.
    const refused = await manager('POST', '/api/equipment-states', {
      equipmentId: created.id,
      state: 'RUNNING',
      startTime: '2026-12-01T00:00:00Z',
    });
    expect(refused.status).toBe(403);
    // Clean up: the press's open BREAKDOWN started now, after the hand-computed day.
  });

  it('computes OEE per line from planned time, the state periods and the output', async () => {
    const oee = await kpi('oee', `${day()}&groupBy=line`);
    expect(oee.measures).toMatchObject({
      plannedMinutes: 1740,
      downtimeMinutes: 450,
      runMinutes: 1290,
      failures: 3,
      good: 1250,
      total: 1280,
      idealSeconds: 52200,
      availability: 74.1379,
      performance: 67.4419,
      quality: 97.6563,
      oee: 48.8281,
      mtbf: 430,
    });
    expect(oee.value).toBe(48.8281);
    expect(oee.points.map((p) => [p.key, p.value])).toEqual([
      [String(ids.line1), 51.7241],
      [String(ids.line2), 45.977],
    ]);
    expect(oee.points[0].figures).toMatchObject({
      plannedMinutes: 870,
      downtimeMinutes: 210,
      failures: 2,
      availability: 75.8621,
      performance: 69.697,
      quality: 97.8261,
    });
    expect(oee.points[1].figures).toMatchObject({
      downtimeMinutes: 240,
      failures: 1,
      availability: 72.4138,
      performance: 65.0794,
      quality: 97.561,
    });
    expect((await kpi('availability', `${day()}&line=${ids.line2}`)).value).toBe(72.4138);
    expect((await kpi('performance', day())).value).toBe(67.4419);
    expect((await kpi('oee_quality', day())).value).toBe(97.6563);
  });

  it('cuts the periods at the shift edges', async () => {
    const byShift = await kpi('oee', `${day()}&groupBy=shift`);
    expect(
      byShift.points.map((p) => [p.key, p.figures?.plannedMinutes, p.figures?.downtimeMinutes, p.value]),
    ).toEqual([
      ['2026-12-01/A', 900, 150, 55.6894],
      ['2026-12-01/N', 840, 300, 41.6667],
    ]);
    const night = await kpi('oee', `${day()}&shift=${ids.shiftN}&line=${ids.line1}`);
    expect(night.measures).toMatchObject({ plannedMinutes: 420, downtimeMinutes: 60, failures: 0 });
  });

  it("shows the OEE on the manager's home dashboard", async () => {
    const dashboards = ok(await manager<{ name: string; home: boolean }[]>('GET', '/api/bi/dashboards'));
    expect(dashboards.find((d) => d.home)?.name).toBe('plant_overview');
    const overview = ok(
      await manager<{ widgets: { id: string; kpi?: Kpi; error?: unknown }[] }>(
        'GET',
        `/api/bi/dashboards/plant_overview?${day()}`,
      ),
    );
    const widget = (id: string) => overview.widgets.find((w) => w.id === id);
    expect(widget('oee')?.error).toBeUndefined();
    expect(widget('oee')?.kpi?.value).toBe(48.8281);
    expect(widget('availability')?.kpi?.value).toBe(74.1379);
  });
});
