/**
 * The plant KPI library on a hand-computed data set through the real server with the maintenance and
 * procurement plugins installed, on SQLite and MariaDB: OEE and its factors by line, shift and day
 * from the plant calendar, shifts, the equipment state history and work reports; final yield; lead
 * time; supplier PPM and on-time delivery; the shift time bucket of the aggregate API.
 *
 * The plant runs in Asia/Shanghai (UTC+8). Shift A is 06:00–14:00 less a 30-minute break (450 min),
 * shift N 22:00–06:00 less 60 minutes (420 min). The calendar works Monday to Friday with both shifts;
 * Wed 2 Dec 2026 is a holiday and Sat 5 Dec a make-up workday with shift A only.
 */
import type { EntityRecord } from '../../../platform/src/crud/types';
import type { TestDialect } from '../plugins/plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from '../plugins/business-plugins-harness';
import { buildPlant } from './plant-fixture';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Kpi = {
  value: number | null;
  measures: Record<string, number | null>;
  points: { key: string; value: number | null; figures?: Record<string, number | null> }[];
  applied: Record<string, boolean>;
};

describe.each<TestDialect>(TEST_DIALECTS)('plant KPIs on %s', (dialect) => {
  let env: BusinessServer;
  let analyst: Call;
  const ids: Record<string, number> = {};
  const kpi = async (name: string, query: string, as: Call = analyst) =>
    ok(await as<Kpi>('GET', `/api/bi/kpis/${name}?${query}`));
  const december = () => `plant=${ids.plant}&from=2026-12-01&to=2026-12-03`;

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'plant_kpis');
    const admin = env.as('admin');
    ok(await admin('POST', '/api/admin/plugins', { source: 'maintenance', enable: true }));
    ok(await admin('POST', '/api/admin/plugins', { source: 'procurement', enable: true }));
    // A reliability engineer reads production data.
    await env.addUser('reliability', ['business_analyst', 'maintenance_planner']);
    await env.addUser('planner2', ['maintenance_planner']);
    await env.addUser('buyer1', ['buyer']);
    analyst = env.as('reliability');

    // Availability reads the equipment state history: one machine per line; the planned maintenance
    // is a MAINTENANCE period, which is not a loss.
    const plant = await buildPlant(env, {
      traceId: 'plant-kpis',
      calendarDays: [
        { workDate: '2026-12-02', dayType: 'HOLIDAY' },
        { workDate: '2026-12-05', dayType: 'MAKEUP_WORKDAY', shifts: ['A'] },
      ],
      plannedQuantity: 10,
      // [line, good, scrap, start (UTC)]; local time = UTC + 8.
      reports: [
        ['L1', 300, 10, '2026-12-01T01:00:00Z'], // 09:00 1 Dec: A
        ['L1', 200, 0, '2026-12-01T15:00:00Z'], // 23:00 1 Dec: N of 1 Dec
        ['L1', 100, 5, '2026-12-01T19:00:00Z'], // 03:00 2 Dec: still N of 1 Dec
        ['L2', 500, 20, '2026-12-01T02:00:00Z'], // 10:00 1 Dec: A
        ['L2', 40, 0, '2026-12-02T02:00:00Z'], // 10:00 2 Dec (holiday): A by the clock, nothing planned
        ['L1', 999, 0, '2026-12-03T02:00:00Z'], // 3 Dec: outside the range
      ],
      machines: [
        ['M1', 'L1'],
        ['M2', 'L2'],
      ],
      periods: [
        ['M1', 'BREAKDOWN', '2026-12-01T02:00:00Z', '2026-12-01T03:00:00Z'], // 60, A
        ['M1', 'BREAKDOWN', '2026-12-01T16:00:00Z', '2026-12-01T16:30:00Z'], // 30, N
        ['M1', 'STOPPED', '2026-12-01T04:00:00Z', '2026-12-01T04:20:00Z'], // 20, A, no failure
        ['M2', 'MAINTENANCE', '2026-12-01T03:00:00Z', '2026-12-01T05:00:00Z'], // not a loss
        ['M2', 'BREAKDOWN', '2026-12-01T05:00:00Z', '2026-12-01T05:45:00Z'], // 45, A
      ],
    });
    Object.assign(ids, plant.ids);
    const { create, sql, table } = plant;
    const { item, defect, wo1, wo2, ws1 } = plant.ids;
    // Lead time: 36 h and 6.5 h; the third order is not completed.
    const wo3 = await create('work_order', {
      itemId: item,
      lineId: ids.line1,
      plannedQuantity: 10,
      plannedStart: '2026-12-01T00:00:00Z',
      operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 10 }],
    } satisfies EntityRecord);
    const times: [number, string, string, string][] = [
      [wo1, 'COMPLETED', '2026-12-01 00:00:00.000', '2026-12-02 12:00:00.000'],
      [wo2, 'COMPLETED', '2026-12-01 00:00:00.000', '2026-12-01 06:30:00.000'],
      [wo3, 'IN_PROGRESS', '2026-12-01 00:00:00.000', '2026-12-09 00:00:00.000'],
    ];
    for (const [id, status, start, end] of times)
      await sql(
        `UPDATE ${table('work_order')} SET status = ?, actual_start = ?, actual_end = ? WHERE id = ?`,
        [status, start, end, id],
      );

    // Final yield: unit 1 fails then passes, unit 2 passes, unit 3 fails; unit 4 only had an ICT test.
    const lot = await create('production_lot', { workOrderId: wo1, itemId: item, lotQuantity: 10 });
    const tests: [number, string, string][] = [
      [1, 'FINAL', 'FAIL'],
      [1, 'FINAL', 'PASS'],
      [2, 'FINAL', 'PASS'],
      [3, 'FINAL', 'FAIL'],
      [4, 'ICT', 'PASS'],
    ];
    const serials = new Map<number, number>();
    for (const [unit, testType, result] of tests) {
      if (!serials.has(unit))
        serials.set(unit, await create('serial_number', { lotId: lot, itemId: item, workOrderId: wo1 }));
      await create('test_record', {
        serialNumberId: serials.get(unit),
        workstationId: ws1,
        testType,
        result,
        testedAt: '2026-12-01T03:00:00Z',
        ...(result === 'FAIL' ? { defectCodeId: defect } : {}),
      });
    }

    // Supplier PPM from IQC: S1 1 defect in 50 + 0 in 150 sampled, S2 2 in 100; IPQC and pending are not counted.
    const s1 = await create('supplier_master', { supplierName: 'Supplier one' });
    const s2 = await create('supplier_master', { supplierName: 'Supplier two' });
    const inspections: [string, number, number, number, string][] = [
      ['IQC', s1, 50, 1, 'FAIL'],
      ['IQC', s1, 150, 0, 'PASS'],
      ['IQC', s2, 100, 2, 'FAIL'],
      ['IPQC', s2, 100, 5, 'FAIL'],
      ['IQC', s2, 100, 9, 'PENDING'],
    ];
    for (const [inspectionType, supplierId, sampleSize, defectQuantity, result] of inspections) {
      const id = await create('inspection', {
        inspectionType,
        refType: 'GRN',
        refId: 'GRN-1',
        supplierId,
        sampleSize,
        defectQuantity,
        inspectorId: env.userId('admin'),
        inspectionDate: '2026-12-01T03:00:00Z',
      });
      await sql(`UPDATE ${table('inspection')} SET result = ? WHERE id = ?`, [result, id]);
    }

    // On-time delivery: S1 one of two on time, S2 one of one; a receipt not yet judged is not counted.
    const receipts: [number, boolean | null][] = [
      [s1, true],
      [s1, false],
      [s2, true],
      [s2, null],
    ];
    for (const [supplierId, onTime] of receipts) {
      const id = await create('goods_receipt', {
        receiptType: 'TRANSFER',
        supplierId,
        grnDate: '2026-12-01',
        lines: [{ lineNo: 1, itemId: item, quantity: 10 }],
      });
      await sql(`UPDATE ${table('goods_receipt')} SET receipt_type = 'PURCHASE', on_time = ? WHERE id = ?`, [
        onTime === null ? null : onTime ? 1 : 0,
        id,
      ]);
    }
  }, 300_000);
  afterAll(async () => {
    await env?.close();
  });

  it('computes OEE and its factors per line from planned time, equipment states and output', async () => {
    // L1: planned 870 (1 Dec, A + N; 2 Dec is a holiday), downtime 110, run 760, 615 made, 600 good,
    // ideal 615 × 60 s. L2: planned 870, downtime 45, run 825, 560 made, 540 good, ideal 560 × 30 s.
    const oee = await kpi('oee', `${december()}&groupBy=line`);
    expect(oee.measures).toMatchObject({
      plannedMinutes: 1740,
      downtimeMinutes: 155,
      runMinutes: 1585,
      failures: 3,
      good: 1140,
      total: 1175,
      idealSeconds: 53700,
      availability: 91.092,
      performance: 56.4669,
      quality: 97.0213,
      oee: 49.9046,
      mtbf: 528.3333,
    });
    expect(oee.value).toBe(49.9046);
    expect(oee.points.map((p) => [p.key, p.value])).toEqual([
      [String(ids.line1), 68.9655],
      [String(ids.line2), 31.0345],
    ]);
    expect(oee.points[0].figures).toMatchObject({
      availability: 87.3563,
      performance: 80.9211,
      quality: 97.561,
    });
    expect(oee.applied).toMatchObject({ plant: true, dateRange: true });
    const availability = await kpi('availability', `${december()}&line=${ids.line2}`);
    expect(availability.value).toBe(94.8276);
    expect((await kpi('performance', december())).value).toBe(56.4669);
    expect((await kpi('oee_quality', december())).value).toBe(97.0213);
  });

  it('attributes output and downtime to the production day and shift, night shifts included', async () => {
    const oee = await kpi('oee', `${december()}&groupBy=shift`);
    expect(oee.points.map((p) => [p.key, p.figures?.plannedMinutes, p.figures?.good, p.value])).toEqual([
      // A: 2 × 450 planned, 125 down, 830 made, 800 good, ideal 310 × 60 + 520 × 30 s.
      ['2026-12-01/A', 900, 800, 61.0442],
      // N: 2 × 420 planned, 30 down; the 03:00 report of 2 Dec belongs to the night of 1 Dec.
      ['2026-12-01/N', 840, 300, 35.7143],
      // The holiday plans nothing: output without planned time has no OEE.
      ['2026-12-02/A', 0, 40, null],
    ]);
    const byDay = await kpi('oee', `${december()}&groupBy=day`);
    expect(byDay.points.map((p) => [p.key, p.figures?.plannedMinutes])).toEqual([
      ['2026-12-01', 1740],
      ['2026-12-02', 0],
    ]);
    const night = await kpi('oee', `${december()}&shift=${ids.shiftN}`);
    expect(night.measures).toMatchObject({ plannedMinutes: 840, downtimeMinutes: 30, good: 300, total: 305 });
    expect(night.value).toBe(35.7143);
    expect(night.applied.shift).toBe(true);
  });

  it('plans time from the calendar: weekdays, holidays and make-up days with their own shifts', async () => {
    // 1–6 Dec on L1: Tue, Thu, Fri 870 each, Wed holiday, Sat make-up day with shift A, Sun off.
    const week = await kpi(
      'availability',
      `plant=${ids.plant}&line=${ids.line1}&from=2026-12-01&to=2026-12-07`,
    );
    expect(week.measures.plannedMinutes).toBe(3 * 870 + 450);
  });

  it('refuses OEE to a caller who may not read the output rows, and a grouping it does not offer', async () => {
    const refused = await env.as('planner2')('GET', `/api/bi/kpis/oee?${december()}`);
    expect(refused.status).toBe(403);
    const badGroup = await analyst('GET', `/api/bi/kpis/oee?${december()}&groupBy=station`);
    expect(badGroup.status).toBe(400);
    expect(badGroup.body).toMatchObject({ errors: [expect.objectContaining({ path: '/groupBy' })] });
  });

  it('computes final yield, lead time, supplier PPM and supplier on-time delivery', async () => {
    const finalYield = await kpi('final_yield', '');
    expect(finalYield.measures).toEqual({ passed_units: 2, tested_units: 3 });
    expect(finalYield.value).toBe(66.6667);
    const lead = await kpi('lead_time', '');
    expect(lead.value).toBe(21.25);
    const ppm = await kpi('supplier_ppm', '');
    expect(ppm.value).toBe(10000);
    expect(ppm.points.map((p) => p.value)).toEqual([5000, 20000]);
    const delivery = await kpi('supplier_on_time_delivery', '', env.as('buyer1'));
    expect(delivery.value).toBe(66.6667);
    expect(delivery.points.map((p) => p.value)).toEqual([50, 100]);
  });

  it('buckets the aggregate API by shift in the plant time zone', async () => {
    const answer = ok(
      await analyst<{ rows: Record<string, unknown>[] }>(
        'GET',
        '/api/work-reports/aggregate?groupBy=startTime:shift&measures=sum:goodQuantity&tz=Asia/Shanghai',
      ),
    );
    expect(answer.rows).toEqual([
      { 'startTime:shift': '2026-12-01/A', 'sum:goodQuantity': 800 },
      { 'startTime:shift': '2026-12-01/N', 'sum:goodQuantity': 300 },
      { 'startTime:shift': '2026-12-02/A', 'sum:goodQuantity': 40 },
      { 'startTime:shift': '2026-12-03/A', 'sum:goodQuantity': 999 },
    ]);
  });
  it('gives each shift bucket of a chart its time range, a night shift running past midnight', async () => {
    type Widget = {
      id: string;
      points?: { key: string; value: number; range?: { gte: string; lt: string } }[];
      drillDown?: { path: string; filter: Record<string, unknown>; groupTimeField?: string };
    };
    const overview = ok(
      await analyst<{ widgets: Widget[] }>('GET', `/api/bi/dashboards/plant_overview?${december()}`),
    );
    const widget = overview.widgets.find((w) => w.id === 'output_by_shift')!;
    expect(widget.points).toEqual([
      // 06:00–14:00 and 22:00–06:00 in Asia/Shanghai.
      {
        key: '2026-12-01/A',
        value: 800,
        range: { gte: '2026-11-30T22:00:00.000Z', lt: '2026-12-01T06:00:00.000Z' },
      },
      {
        key: '2026-12-01/N',
        value: 300,
        range: { gte: '2026-12-01T14:00:00.000Z', lt: '2026-12-01T22:00:00.000Z' },
      },
      {
        key: '2026-12-02/A',
        value: 40,
        range: { gte: '2026-12-01T22:00:00.000Z', lt: '2026-12-02T06:00:00.000Z' },
      },
    ]);
    // The night's list: the 23:00 report of 1 Dec and the 03:00 report of 2 Dec.
    const night = widget.points![1];
    const filter = { and: [widget.drillDown!.filter, { [widget.drillDown!.groupTimeField!]: night.range }] };
    const rows = ok(
      await analyst<{ items: { goodQuantity: number; startTime: string }[] }>(
        'GET',
        `/api/${widget.drillDown!.path}?sort=startTime&filter=${encodeURIComponent(JSON.stringify(filter))}`,
      ),
    ).items;
    expect(rows.map((r) => [r.startTime, Number(r.goodQuantity)])).toEqual([
      ['2026-12-01T15:00:00.000Z', 200],
      ['2026-12-01T19:00:00.000Z', 100],
    ]);
  });
});
