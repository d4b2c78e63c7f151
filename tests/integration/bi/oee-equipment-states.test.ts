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
 *
 * MTBF and MTTR from the same history, cut at the requested window: failures are BREAKDOWN periods
 * starting in it, repair time the part of the BREAKDOWN periods inside it, operating time the part of
 * the RUNNING periods inside it.
 *   Window 01:30–20:00 UTC on 1 Dec. L1: M1's breakdown 01:00–02:00 began before the window (no
 *   failure, 30 min repair), RUNNING 02:00–05:30 (210), breakdown 05:30–15:00 (1 failure, 570) →
 *   MTBF 210, MTTR 600. L2: RUNNING cut to 01:30–18:00 (990), the open breakdown from 18:00 cut at
 *   20:00 (1 failure, 120) → MTBF 990, MTTR 120. Plant: 2 failures, 720 repair, 1 200 operating →
 *   MTBF 600, MTTR 360.
 *   The plant's day 1 Dec (16:00 UTC 30 Nov – 16:00 UTC 1 Dec): L1 2 failures, 630 repair, 210
 *   operating; L2 RUNNING 1 440, its breakdown starts after the day → MTBF 1 650 / 2 = 825, MTTR 315.
 */
import type { TestDialect } from '../plugins/plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from '../plugins/business-plugins-harness';
import { buildPlant } from './plant-fixture';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Kpi = {
  value: number | null;
  measures: Record<string, number | null>;
  points: { key: string; value: number | null; figures?: Record<string, number | null> }[];
  applied?: Record<string, boolean>;
  drillDown?: { filter: Record<string, unknown> };
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

describe.each<TestDialect>(TEST_DIALECTS)('OEE from equipment states on %s', (dialect) => {
  let env: BusinessServer;
  let manager: Call;
  const ids: Record<string, number> = {};
  const day = () => `plant=${ids.plant}&from=2026-12-01&to=2026-12-02`;
  const kpi = async (name: string, query: string) =>
    ok(await manager<Kpi>('GET', `/api/bi/kpis/${name}?${query}`));

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'oee_states');
    manager = env.as('manager');
    const plant = await buildPlant(env, {
      traceId: 'oee-states',
      plannedQuantity: 2000,
      // [line, good, scrap, start (UTC)]
      reports: [
        ['L1', 200, 10, '2026-12-01T02:00:00Z'], // A
        ['L1', 250, 0, '2026-12-01T15:00:00Z'], // N (23:00 local)
        ['L2', 600, 20, '2026-12-01T03:00:00Z'], // A
        ['L2', 200, 0, '2026-12-01T15:30:00Z'], // N (23:30 local)
        ['L1', 999, 0, '2026-12-02T02:00:00Z'], // the next day: outside the range
      ],
      machines: [
        ['M1', 'L1'],
        ['M2', 'L1'],
        ['M3', 'L2'],
      ],
      periods: [
        ['M2', 'STOPPED', '2026-11-30T20:00:00Z', '2026-11-30T22:30:00Z'],
        ['M1', 'BREAKDOWN', '2026-12-01T01:00:00Z', '2026-12-01T02:00:00Z'],
        ['M2', 'STOPPED', '2026-12-01T01:30:00Z', '2026-12-01T02:30:00Z'],
        ['M1', 'RUNNING', '2026-12-01T02:00:00Z', '2026-12-01T05:30:00Z'],
        ['M1', 'BREAKDOWN', '2026-12-01T05:30:00Z', '2026-12-01T15:00:00Z'],
        ['M2', 'MAINTENANCE', '2026-12-01T16:00:00Z', '2026-12-01T17:00:00Z'],
        ['M3', 'RUNNING', '2026-11-30T00:00:00Z', '2026-12-01T18:00:00Z'],
        ['M3', 'BREAKDOWN', '2026-12-01T18:00:00Z', null],
      ],
    });
    Object.assign(ids, plant.ids);
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
    // One OEE computation shown four ways: each widget its own figure.
    expect(widget('performance')?.kpi?.value).toBe(67.4419);
    expect(widget('oee_quality')?.kpi?.value).toBe(97.6563);
    expect(widget('availability')?.kpi?.measures.oee).toBe(48.8281);
  });
  it('computes MTBF and MTTR from the state history, cut at the window, as the manager', async () => {
    const window = `plant=${ids.plant}&from=2026-12-01T01:30:00Z&to=2026-12-01T20:00:00Z`;
    const mtbf = await kpi('mtbf', `${window}&groupBy=line`);
    expect(mtbf.measures).toEqual({
      failures: 2,
      repairMinutes: 720,
      operatingMinutes: 1200,
      mtbf: 600,
      mttr: 360,
    });
    expect(mtbf.value).toBe(600);
    expect(mtbf.points.map((p) => [Number(p.key), p.value, p.figures?.failures, p.figures?.mttr])).toEqual([
      [ids.line1, 210, 1, 600],
      [ids.line2, 990, 1, 120],
    ]);
    expect(mtbf.applied).toMatchObject({ plant: true, dateRange: true, shift: false });
    const mttr = await kpi('mttr', window);
    expect(mttr.value).toBe(360);
    expect((await kpi('mttr', `${window}&line=${ids.line2}`)).value).toBe(120);
    // A whole plant day, from the plant's midnight.
    const dayMtbf = await kpi('mtbf', day());
    expect(dayMtbf.measures).toEqual({
      failures: 2,
      repairMinutes: 630,
      operatingMinutes: 1650,
      mtbf: 825,
      mttr: 315,
    });
    // The drill-down lists the periods that overlap the window.
    const listed = ok(
      await manager<{ items: Period[] }>(
        'GET',
        `/api/equipment-states?filter=${encodeURIComponent(JSON.stringify(mttr.drillDown!.filter))}&pageSize=100`,
      ),
    ).items;
    expect(listed.map((p) => [p.state, p.startTime]).sort()).toEqual(
      [
        ['BREAKDOWN', '2026-12-01T01:00:00.000Z'],
        ['BREAKDOWN', '2026-12-01T05:30:00.000Z'],
        ['BREAKDOWN', '2026-12-01T18:00:00.000Z'],
        ['RUNNING', '2026-11-30T00:00:00.000Z'],
        ['RUNNING', '2026-12-01T02:00:00.000Z'],
        ['STOPPED', '2026-12-01T01:30:00.000Z'],
        ['MAINTENANCE', '2026-12-01T16:00:00.000Z'],
      ].sort(),
    );
    const bucketed = await manager('GET', `/api/bi/kpis/mtbf?${window}&groupBy=start_time:day`);
    expect(bucketed.status).toBe(400);
    expect(bucketed.body).toMatchObject({ errors: [expect.objectContaining({ path: '/groupBy' })] });
  });
});
