/**
 * Dashboard queries over 1,000,000 work reports on MariaDB, answered from the hourly rollup and, for
 * comparison, by the same server reading the rows (MES_BI_ROLLUPS=off). Reports are spread over 90
 * days, 20 stations on 2 lines, 3 shifts; one in ten has scrap with one of 5 defect codes. The rollup
 * is built with `rebuildRollups` (what `mes bi rebuild` runs). Requests go through the HTTP pipeline
 * (Fastify inject: authentication, authorization, envelope) as the production planner.
 * Run: npm run bench:bi  (TEST_MYSQL_URL selects the server; default root@127.0.0.1:3306).
 * BENCH_BI_KEEP=1 keeps the database afterwards; BENCH_BI_REUSE=1 measures a kept database again
 * (the rollup is rebuilt, the reports are not reseeded); BENCH_BI_ROW_SAMPLES sets how many times
 * each query reads the rows (default 10). The first row is the floor: the lightest authenticated
 * read through the same pipeline, so each p99 can be read against it.
 */
import { Writable } from 'node:stream';
import { rebuildRollups } from '../../platform/src/bi/rollup-consumer';
import { startServer, type RunningServer } from '../../platform/src/bootstrap/start-server';
import type { EntityRecord, RequestContext } from '../../platform/src/crud/types';
import { EngineDatabase } from '../../platform/src/data/database';
import { seedDemoSecurity } from '../../platform/src/security/demo-seed';
import { dropMysqlDatabase, mysqlUrl } from '../integration/migrations/helpers';
import { percentile, round } from './bench-database';

const DATABASE = 'mes_bench_bi';
const REPORTS = Number(process.env.BENCH_BI_REPORTS ?? 1_000_000);
const DAYS = 90;
const STATIONS = 20;
const BATCH = 2000;
const PASSWORD = 'Bench-Passw0rd!';
const JWT_SECRET = 'jwt-secret-for-the-bi-bench-0123456789abcdef';
const FIRST = Date.UTC(2026, 8, 2); // 2 Sep 2026; the last day is 30 Nov.
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

interface Fixture {
  plant: number;
}

function boot(rollups: boolean): Promise<RunningServer> {
  return startServer({
    env: {
      DATABASE_URL: mysqlUrl(DATABASE),
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      MES_JWT_SECRET: JWT_SECRET,
      MES_BI_ROLLUPS: rollups ? 'on' : 'off',
    },
    listen: false,
    logDestination: quiet,
  });
}

async function seed(): Promise<Fixture> {
  const server = await boot(true);
  try {
    const model = server.registry.current();
    const db = new EngineDatabase(server.dataSource);
    await seedDemoSecurity(db, model, 'DEMO', { MES_DEMO_PASSWORD: PASSWORD });
    const ctx: RequestContext = { tenantId: 'DEMO', userId: '1', traceId: 'bench', model };
    const create = async (entity: string, body: EntityRecord) =>
      Number((await server.service.create(entity, body, ctx)).id);
    const plant = await create('plant', {
      plantCode: 'BP',
      plantName: 'Bench plant',
      timezone: 'Asia/Shanghai',
    });
    const lines = [
      await create('production_line', { lineCode: 'BL1', lineName: 'Bench line 1', plantId: plant }),
      await create('production_line', { lineCode: 'BL2', lineName: 'Bench line 2', plantId: plant }),
    ];
    const stations: number[] = [];
    for (let i = 0; i < STATIONS; i++)
      stations.push(
        await create('workstation', {
          stationCode: `BS${String(i).padStart(2, '0')}`,
          stationName: `Bench station ${i}`,
          lineId: lines[i % 2],
        }),
      );
    const shifts = [
      await create('shift', { shiftCode: 'A', shiftName: 'Morning', startTime: '06:00', endTime: '14:00' }),
      await create('shift', { shiftCode: 'B', shiftName: 'Afternoon', startTime: '14:00', endTime: '22:00' }),
      await create('shift', {
        shiftCode: 'C',
        shiftName: 'Night',
        startTime: '22:00',
        endTime: '06:00',
        crossesMidnight: true,
      }),
    ];
    const defects: number[] = [];
    for (let i = 0; i < 5; i++)
      defects.push(
        await create('qms_code', { codeType: 'DEFECT', code: `BD${i}`, description: `Defect ${i}` }),
      );
    const uom = await create('unit_of_measure', { uomCode: 'BPC', uomName: 'Pieces' });
    const item = await create('item_master', { itemName: 'Bench housing', itemType: 'FINISHED', uomId: uom });
    const order = await create('work_order', {
      itemId: item,
      lineId: lines[0],
      plannedQuantity: 1_000_000_000,
      plannedStart: '2026-09-02T00:00:00Z',
      operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 1_000_000_000 }],
    });
    const [operation] = await db
      .executor()
      .query<{ id: number }>(
        `SELECT id FROM ${model.entities.get('wo_operation')!.table} WHERE work_order_id = ?`,
        [order],
      );
    const table = model.entities.get('work_report')!.table;
    const columns =
      'tenant_id, report_no, work_order_id, wo_operation_id, workstation_id, shift_id, good_quantity, scrap_quantity, defect_code_id, start_time, end_time, labour_minutes, created_at, updated_at, version';
    const began = Date.now();
    const step = (DAYS * 86_400_000) / REPORTS;
    for (let from = 0; from < REPORTS; from += BATCH) {
      const params: unknown[] = [];
      const count = Math.min(BATCH, REPORTS - from);
      for (let i = from; i < from + count; i++) {
        const at = new Date(FIRST + Math.floor(i * step));
        const hour = (at.getUTCHours() + 8) % 24;
        const shift = hour >= 6 && hour < 14 ? shifts[0] : hour >= 14 && hour < 22 ? shifts[1] : shifts[2];
        const scrap = i % 10 === 0 ? (i % 7) + 1 : 0;
        const time = at.toISOString().slice(0, 23).replace('T', ' ');
        params.push(
          'DEMO',
          `WR-B-${i}`,
          order,
          operation.id,
          stations[(i * 7919) % STATIONS],
          shift,
          (i % 50) + 1,
          scrap,
          scrap > 0 ? defects[i % 5] : null,
          time,
          time,
          (i % 30) + 1,
          time,
          time,
          1,
        );
      }
      await db
        .executor()
        .execute(
          `INSERT INTO ${table} (${columns}) VALUES ${Array.from({ length: count }, () => `(${Array(15).fill('?').join(', ')})`).join(', ')}`,
          params,
        );
    }
    process.stdout.write(`seeded ${REPORTS} work reports in ${round((Date.now() - began) / 1000)} s\n`);
    const rebuildStart = Date.now();
    const [result] = await rebuildRollups(db, model, 'DEMO');
    process.stdout.write(
      `mes bi rebuild: ${result.rows} rows into ${result.cells} cells in ${round((Date.now() - rebuildStart) / 1000)} s\n`,
    );
    return { plant };
  } finally {
    await server.close();
  }
}

function queries(fixture: Fixture): { name: string; url: string }[] {
  const month = encodeURIComponent(
    JSON.stringify({ startTime: { gte: '2026-10-31T16:00:00Z', lt: '2026-11-30T16:00:00Z' } }),
  );
  const week = encodeURIComponent(
    JSON.stringify({ startTime: { gte: '2026-11-23T16:00:00Z', lt: '2026-11-30T16:00:00Z' } }),
  );
  return [
    // The floor: the lightest authenticated read, through the same pipeline in the same run.
    { name: 'floor: one plant by id (no aggregate)', url: `/api/plants/${fixture.plant}` },
    {
      name: 'KPI scrap rate by day (30 days, plant)',
      url: `/api/bi/kpis/scrap_rate?plant=${fixture.plant}&from=2026-11-01&to=2026-12-01&groupBy=start_time:day`,
    },
    {
      name: 'good output by day (30 days)',
      url: `/api/work-reports/aggregate?groupBy=startTime:day&measures=sum:goodQuantity&tz=Asia/Shanghai&filter=${month}`,
    },
    {
      name: 'good and scrap by station (30 days)',
      url: `/api/work-reports/aggregate?groupBy=workstation.stationCode&measures=sum:goodQuantity,sum:scrapQuantity&filter=${month}`,
    },
    {
      name: 'reports and output by line and shift (7 days)',
      url: `/api/work-reports/aggregate?groupBy=workstation.line.lineCode,startTime:shift&measures=count,sum:goodQuantity&tz=Asia/Shanghai&filter=${week}`,
    },
  ];
}

async function measure(
  rollups: boolean,
  fixture: Fixture,
  samples: number,
  warmup: number,
): Promise<Map<string, { p50: number; p99: number; body: string }>> {
  const server = await boot(rollups);
  const results = new Map<string, { p50: number; p99: number; body: string }>();
  try {
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'planner', password: PASSWORD },
    });
    const token = (login.json() as { data: { accessToken: string } }).data.accessToken;
    for (const query of queries(fixture)) {
      const times: number[] = [];
      let body = '';
      for (let run = 0; run < warmup + samples; run++) {
        const began = process.hrtime.bigint();
        const response = await server.app.inject({
          method: 'GET',
          url: query.url,
          headers: { authorization: `Bearer ${token}` },
        });
        const elapsed = Number(process.hrtime.bigint() - began) / 1e6;
        if (response.statusCode !== 200)
          throw new Error(`${query.url}: ${response.statusCode} ${response.body}`);
        body = JSON.stringify((response.json() as { data: unknown }).data);
        if (run >= warmup) times.push(elapsed);
      }
      times.sort((a, b) => a - b);
      results.set(query.name, {
        p50: round(percentile(times, 0.5), 1),
        p99: round(percentile(times, 0.99), 1),
        body,
      });
    }
  } finally {
    await server.close();
  }
  return results;
}

/** The kept bench database's plant, after rebuilding its rollups; null when there is none to reuse. */
async function reuse(): Promise<Fixture | null> {
  const server = await boot(true).catch(() => null);
  if (!server) return null;
  try {
    const model = server.registry.current();
    const db = new EngineDatabase(server.dataSource);
    const [plant] = await db
      .executor()
      .query<{ id: number }>(`SELECT id FROM ${model.entities.get('plant')!.table} WHERE plant_code = 'BP'`);
    const [reports] = await db
      .executor()
      .query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${model.entities.get('work_report')!.table}`);
    if (!plant || Number(reports.n) !== REPORTS) return null;
    const rebuildStart = Date.now();
    const results = await rebuildRollups(db, model, 'DEMO');
    process.stdout.write(
      `mes bi rebuild: ${results.map((r) => `${r.rows} rows into ${r.cells} cells`).join(', ')} in ${round((Date.now() - rebuildStart) / 1000)} s\n`,
    );
    return { plant: Number(plant.id) };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const kept = process.env.BENCH_BI_REUSE ? await reuse() : null;
  if (!kept) await dropMysqlDatabase(DATABASE);
  try {
    const fixture = kept ?? (await seed());
    const fromRollups = await measure(true, fixture, 200, 20);
    const rowSamples = Number(process.env.BENCH_BI_ROW_SAMPLES ?? 10);
    const fromRows = await measure(false, fixture, rowSamples, 1);
    const floor = [...fromRollups.values()][0];
    const table = [...fromRollups].map(([name, rolled]) => {
      const raw = fromRows.get(name)!;
      if (raw.body !== rolled.body) throw new Error(`${name}: the rollup answered differently from the rows`);
      return {
        query: name,
        rollupP50ms: rolled.p50,
        rollupP99ms: rolled.p99,
        rowsP50ms: raw.p50,
        rowsP99ms: raw.p99,
        speedup: round(raw.p50 / rolled.p50, 1),
        rollupP99OverFloorP99: round(rolled.p99 / floor.p99, 1),
        rollupP99UnderTarget: rolled.p99 < 100,
      };
    });
    console.table(table);
    process.stdout.write(`${JSON.stringify({ reports: REPORTS, rollupSamples: 200, rowSamples, table })}\n`);
  } finally {
    if (!process.env.BENCH_BI_KEEP) await dropMysqlDatabase(DATABASE);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
