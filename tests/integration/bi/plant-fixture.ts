/**
 * The hand-computed plant the OEE, plant-KPI and reliability suites share, written through the engine
 * without domain hooks (so records keep the times and states given here):
 *
 * - shift A 06:00–14:00 less a 30-minute break (450 min), shift N 22:00–06:00 less 60 (420 min);
 * - calendar CAL (2026) working Monday to Friday with both shifts, plus the given exception days;
 * - plant P1 in Asia/Shanghai (UTC+8) on that calendar; lines L1 and L2; station WS1 on L1 (ideal
 *   cycle 60 s) and WS2 on L2 (30 s); one work order with one operation per line;
 * - work reports on the stations and machines with the given state periods.
 */
import { rebuildRollups } from '../../../platform/src/bi/rollup-consumer';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { EngineDatabase } from '../../../platform/src/data/database';
import type { BusinessServer } from '../plugins/business-plugins-harness';

export type Line = 'L1' | 'L2';
/** [line of the station, good, scrap, start (UTC)] */
export type Report = [Line, number, number, string];
/** [machine code, state, start (UTC), end (UTC) or null while it lasts] */
export type Period = [string, string, string, string | null];

export interface PlantSpec {
  traceId: string;
  /** Exception days of the calendar (`workDate`, `dayType`, `shiftsIds` may name 'A' or 'N'). */
  calendarDays?: { workDate: string; dayType: string; shifts?: ('A' | 'N')[] }[];
  plannedQuantity: number;
  reports: Report[];
  /** Machines by code and line. */
  machines: [string, Line][];
  periods: Period[];
}

export interface Plant {
  ids: {
    shiftA: number;
    shiftN: number;
    plant: number;
    line1: number;
    line2: number;
    ws1: number;
    ws2: number;
    item: number;
    defect: number;
    wo1: number;
    wo2: number;
  };
  machines: Record<string, number>;
  /** Creates a record through the engine as the admin; answers its id. */
  create: (entity: string, body: EntityRecord) => Promise<number>;
  sql: (statement: string, params: unknown[]) => Promise<unknown>;
  table: (entity: string) => string;
  /** Recomputes the rollups: the data set bypassed the events that keep them, as a bulk load would. */
  rebuild: () => Promise<void>;
}

export async function buildPlant(env: BusinessServer, spec: PlantSpec): Promise<Plant> {
  const model = env.server.registry.current();
  const database = new EngineDatabase(env.server.dataSource);
  const engine = new EntityService(database);
  const ctx: RequestContext = {
    tenantId: 'DEMO',
    userId: String(env.userId('admin')),
    traceId: spec.traceId,
    model,
  };
  const create = async (entity: string, body: EntityRecord) =>
    Number((await engine.create(entity, body, ctx)).id);
  const sql = (statement: string, params: unknown[]) => env.server.dataSource.query(statement, params);
  const table = (entity: string) => model.entities.get(entity)!.table;

  const shiftA = await create('shift', {
    shiftCode: 'A',
    shiftName: 'Day',
    startTime: '06:00',
    endTime: '14:00',
    breakMinutes: 30,
  });
  const shiftN = await create('shift', {
    shiftCode: 'N',
    shiftName: 'Night',
    startTime: '22:00',
    endTime: '06:00',
    crossesMidnight: true,
    breakMinutes: 60,
  });
  const shiftIds = { A: shiftA, N: shiftN };
  const calendar = await create('calendar', {
    calendarCode: 'CAL',
    calendarName: 'Plant calendar',
    year: 2026,
    workingWeekdays: [1, 2, 3, 4, 5],
    defaultShiftsIds: [shiftA, shiftN],
    ...(spec.calendarDays
      ? {
          days: spec.calendarDays.map(({ workDate, dayType, shifts }) => ({
            workDate,
            dayType,
            ...(shifts ? { shiftsIds: shifts.map((s) => shiftIds[s]) } : {}),
          })),
        }
      : {}),
  });
  const plant = await create('plant', {
    plantCode: 'P1',
    plantName: 'Plant one',
    timezone: 'Asia/Shanghai',
    calendarId: calendar,
  });
  const line1 = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: plant });
  const line2 = await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: plant });
  const ws1 = await create('workstation', {
    stationCode: 'WS1',
    stationName: 'S1',
    lineId: line1,
    cycleTimeSec: 60,
  });
  const ws2 = await create('workstation', {
    stationCode: 'WS2',
    stationName: 'S2',
    lineId: line2,
    cycleTimeSec: 30,
  });
  const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
  const item = await create('item_master', { itemName: 'Housing', itemType: 'FINISHED', uomId: uom });
  const defect = await create('qms_code', { codeType: 'DEFECT', code: 'D1', description: 'Scratch' });
  const order = (lineId: number) =>
    create('work_order', {
      itemId: item,
      lineId,
      plannedQuantity: spec.plannedQuantity,
      plannedStart: '2026-12-01T00:00:00Z',
      operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: spec.plannedQuantity }],
    });
  const wo1 = await order(line1);
  const wo2 = await order(line2);
  const operationOf = async (workOrder: number) =>
    Number(
      (
        (await sql(`SELECT id FROM ${table('wo_operation')} WHERE work_order_id = ?`, [workOrder])) as {
          id: number;
        }[]
      )[0].id,
    );
  const stations = { L1: { station: ws1, order: wo1 }, L2: { station: ws2, order: wo2 } };
  for (const [line, goodQuantity, scrapQuantity, startTime] of spec.reports) {
    const { station, order: workOrderId } = stations[line];
    await create('work_report', {
      workOrderId,
      woOperationId: await operationOf(workOrderId),
      workstationId: station,
      goodQuantity,
      scrapQuantity,
      ...(scrapQuantity > 0 ? { defectCodeId: defect } : {}),
      startTime,
      endTime: startTime,
    });
  }

  const lines = { L1: line1, L2: line2 };
  const machines: Record<string, number> = {};
  const lineOf: Record<string, number> = {};
  for (const [code, line] of spec.machines) {
    machines[code] = await create('equipment', {
      equipmentCode: code,
      equipmentName: code,
      lineId: lines[line],
      status: 'RUNNING',
    });
    lineOf[code] = lines[line];
  }
  for (const [code, state, startTime, endTime] of spec.periods)
    await create('equipment_state', {
      equipmentId: machines[code],
      lineId: lineOf[code],
      state,
      startTime,
      endTime,
    });

  const rebuild = async () => {
    await rebuildRollups(database, env.server.registry.current(), 'DEMO');
  };
  await rebuild();
  return {
    ids: { shiftA, shiftN, plant, line1, line2, ws1, ws2, item, defect, wo1, wo2 },
    machines,
    create,
    sql,
    table,
    rebuild,
  };
}
