/**
 * The hourly work-report rollup through the real server on SQLite and MariaDB: writes through the
 * record-change path reach the rollup by their events exactly once (a redelivered event changes
 * nothing), updates move a report between cells and deletes take it out, the daily cells (UTC and
 * the plant's zone) follow, a rebuild from the rows yields the very same cells, and aggregates answered
 * from the hourly or the daily cells equal the ones over the rows.
 */
import { AggregateEngine } from '../../../platform/src/bi/aggregate-engine';
import { parseAggregateQuery } from '../../../platform/src/bi/aggregate-query';
import { rebuildRollups, rollupConsumer } from '../../../platform/src/bi/rollup-consumer';
import { rollupsOf } from '../../../platform/src/bi/rollups';
import { parseListQuery } from '../../../platform/src/crud/query-parser';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { consumeOnce } from '../../../platform/src/events/consumer';
import type { EventEnvelope } from '../../../platform/src/events/envelope';
import { waitFor } from '../../support/wait-for';
import type { SecureContext } from '../../../platform/src/security/principal';
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('work report rollup on %s', (dialect) => {
  let mes: SecurityServer;
  let ctx: SecureContext;
  const ids: Record<string, number> = {};
  const cellsTable = 'bi_rollup_work_report_hourly';
  const cells = async () =>
    (
      await mes.query<Record<string, unknown>>(
        `SELECT start_time, workstation_id, shift_id, defect_code_id, good_quantity, scrap_quantity, rollup_row_count FROM ${cellsTable} WHERE tenant_id = 'DEMO'`,
      )
    )
      .map((row) => ({
        hour: String(row.start_time).slice(0, 13).replace('T', ' '),
        workstation: row.workstation_id === null ? null : Number(row.workstation_id),
        shift: row.shift_id === null ? null : Number(row.shift_id),
        defect: row.defect_code_id === null ? null : Number(row.defect_code_id),
        good: Number(row.good_quantity),
        scrap: Number(row.scrap_quantity),
        rows: Number(row.rollup_row_count),
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const daysTable = 'bi_rollup_work_report_hourly_daily';
  const days = async () =>
    (
      await mes.query<Record<string, unknown>>(
        `SELECT rollup_zone, start_time, workstation_id, shift_id, good_quantity, rollup_row_count FROM ${daysTable} WHERE tenant_id = 'DEMO'`,
      )
    )
      .map((row) => ({
        zone: String(row.rollup_zone),
        day: String(row.start_time).slice(0, 16).replace('T', ' '),
        workstation: Number(row.workstation_id),
        shift: row.shift_id === null ? null : Number(row.shift_id),
        good: Number(row.good_quantity),
        rows: Number(row.rollup_row_count),
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const totals = async () => {
    const [row] = await mes.query<{ good: unknown; n: unknown }>(
      `SELECT SUM(good_quantity) AS good, SUM(rollup_row_count) AS n FROM ${cellsTable} WHERE tenant_id = 'DEMO'`,
    );
    return { good: Number(row.good ?? 0), rows: Number(row.n ?? 0) };
  };
  const report = (workstationId: number, goodQuantity: number, startTime: string, extra: EntityRecord = {}) =>
    mes.server.service.create(
      'work_report',
      {
        workOrderId: ids.workOrder,
        woOperationId: ids.operation,
        workstationId,
        goodQuantity,
        scrapQuantity: 0,
        startTime,
        endTime: startTime,
        ...extra,
      },
      ctx,
    );

  const eventAbout = (id: number): EventEnvelope => ({
    id: '',
    type: 'work_report.created',
    version: 1,
    time: new Date().toISOString(),
    tenant: 'DEMO',
    actor: null,
    traceId: null,
    entity: 'work_report',
    entityId: String(id),
    payload: {},
  });

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'rollups');
    const model = mes.server.registry.current();
    const [admin] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'admin'",
    );
    const base: RequestContext = { tenantId: 'DEMO', userId: String(admin.id), traceId: 'rollups', model };
    ctx = {
      ...base,
      principal: {
        userId: String(admin.id),
        username: 'analyst',
        tenantId: 'DEMO',
        roles: ['business_analyst'],
        grantedPermissions: [],
        departmentIds: [],
        departmentTreeIds: [],
        lineIds: [],
        plantIds: [],
        supplierId: null,
      },
    };
    const create = async (entity: string, body: EntityRecord) =>
      Number((await mes.server.service.create(entity, body, base)).id);
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant one' });
    const line = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: plant });
    ids.ws1 = await create('workstation', { stationCode: 'WS1', stationName: 'S1', lineId: line });
    ids.ws2 = await create('workstation', { stationCode: 'WS2', stationName: 'S2', lineId: line });
    ids.shift = await create('shift', {
      shiftCode: 'A',
      shiftName: 'Day',
      startTime: '06:00',
      endTime: '14:00',
    });
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', { itemName: 'Housing', itemType: 'FINISHED', uomId: uom });
    ids.workOrder = await create('work_order', {
      itemId: item,
      lineId: line,
      plannedQuantity: 1000,
      plannedStart: '2026-12-01T00:00:00Z',
      operations: [{ opSeq: 1, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 1000 }],
    });
    const [operation] = await mes.query<{ id: number }>(
      `SELECT id FROM ${model.entities.get('wo_operation')!.table} WHERE work_order_id = ?`,
      [ids.workOrder],
    );
    ids.operation = Number(operation.id);
    await create('production_lot', { workOrderId: ids.workOrder, itemId: item, lotQuantity: 1000 });
    await mes.query(
      `UPDATE ${model.entities.get('work_order')!.table} SET status = 'IN_PROGRESS' WHERE id = ?`,
      [ids.workOrder],
    );
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('keeps the rollup up to date from the events of creates, updates and deletes', async () => {
    await report(ids.ws1, 10, '2026-12-01T08:10:00Z', { shiftId: ids.shift });
    await report(ids.ws1, 20, '2026-12-01T08:50:00Z', { shiftId: ids.shift });
    const moved = await report(ids.ws2, 5, '2026-12-01T09:05:00Z');
    const deleted = await report(ids.ws2, 7, '2026-12-01T09:30:00Z');
    await waitFor('four reports in the rollup', async () => (await totals()).rows === 4);
    await mes.server.service.update(
      'work_report',
      Number(moved.id),
      { shiftId: ids.shift, labourMinutes: 12, version: moved.version },
      ctx,
    );
    // Posted reports cannot be deleted through the API: an archival purge is a soft delete and its event.
    await mes.query(
      `UPDATE ${mes.server.registry.current().entities.get('work_report')!.table} SET deleted_at = ? WHERE id = ?`,
      ['2026-12-03 00:00:00.000', deleted.id],
    );
    await consumeOnce(
      mes.database,
      rollupConsumer(() => mes.server.registry.current()),
      {
        ...eventAbout(Number(deleted.id)),
        id: 'purge-event-1',
        type: 'work_report.deleted',
      },
    );
    // The updated report moved to its shift's cell; the cell it left emptied and is gone.
    const expected = [
      {
        hour: '2026-12-01 08',
        workstation: ids.ws1,
        shift: ids.shift,
        defect: null,
        good: 30,
        scrap: 0,
        rows: 2,
      },
      {
        hour: '2026-12-01 09',
        workstation: ids.ws2,
        shift: ids.shift,
        defect: null,
        good: 5,
        scrap: 0,
        rows: 1,
      },
    ];
    await waitFor(
      'the moved report in its new cell',
      async () => JSON.stringify(await cells()) === JSON.stringify(expected),
    );
    expect(await cells()).toEqual(expected);
    // The same by day: in UTC, and in the plant's zone (Asia/Shanghai, its default), whose day began
    // at 16:00 UTC the day before.
    expect(await days()).toEqual(
      ['Asia/Shanghai', 'UTC'].flatMap((zone) => {
        const day = zone === 'UTC' ? '2026-12-01 00:00' : '2026-11-30 16:00';
        return [
          { zone, day, workstation: ids.ws1, shift: ids.shift, good: 30, rows: 2 },
          { zone, day, workstation: ids.ws2, shift: ids.shift, good: 5, rows: 1 },
        ];
      }),
    );
  });

  it('applies a redelivered event once', async () => {
    const created = await report(ids.ws2, 100, '2026-12-02T03:00:00Z');
    await waitFor('the new report in the rollup', async () => (await totals()).good === 135);
    const consumer = rollupConsumer(() => mes.server.registry.current());
    const event = { ...eventAbout(Number(created.id)), id: 'redelivered-event-1' };
    expect(await consumeOnce(mes.database, consumer, event)).toBe(true);
    expect(await consumeOnce(mes.database, consumer, event)).toBe(false);
    expect(await totals()).toEqual({ good: 135, rows: 4 });
  });

  it('rebuilds the very same cells from the rows', async () => {
    const before = await cells();
    const daysBefore = await days();
    const results = await rebuildRollups(mes.database, mes.server.registry.current(), 'DEMO');
    expect(results).toEqual([{ rollup: 'work_report_hourly', rows: 4, cells: 3, days: 6 }]);
    expect(await cells()).toEqual(before);
    expect(await days()).toEqual(daysBefore);
  });

  it('answers aggregates from the rollup exactly as from the rows', async () => {
    const model = mes.server.registry.current();
    const fromRollup = new AggregateEngine(mes.database, true);
    const fromRows = new AggregateEngine(mes.database, false);
    const queries = [
      { groupBy: 'workstation.stationCode', measures: 'count,sum:goodQuantity' },
      { groupBy: 'startTime:day', measures: 'sum:goodQuantity/count', tz: 'Asia/Shanghai' },
      {
        groupBy: 'workstation.line.lineCode,startTime:hour',
        measures: 'count,sum:labourMinutes',
        filter: JSON.stringify({ startTime: { gte: '2026-12-01T09:00:00Z' } }),
      },
      // Daily cells: whole Shanghai days, by week and by station.
      {
        groupBy: 'startTime:week,workstation.stationCode',
        measures: 'count,sum:goodQuantity',
        tz: 'Asia/Shanghai',
        filter: JSON.stringify({ startTime: { gte: '2026-11-30T16:00:00Z', lt: '2026-12-02T16:00:00Z' } }),
      },
      { groupBy: 'startTime:month', measures: 'sum:goodQuantity', tz: 'UTC' },
    ];
    expect(rollupsOf(model).map((r) => r.name)).toEqual(['work_report_hourly']);
    for (const raw of queries) {
      const query = parseAggregateQuery('work_report', raw, model, parseListQuery);
      const rolled = await fromRollup.aggregate('work_report', query, ctx);
      expect(rolled).toEqual(await fromRows.aggregate('work_report', query, ctx));
      expect(rolled.rows.length).toBeGreaterThan(0);
    }
    // Proof of which table answered: with the cells altered, the rollup's answer moves, and a query
    // the rollup cannot answer (a condition on a summed field) still reads the rows. A total with no
    // time bucket reads the UTC days, a total by hour the hourly cells.
    await mes.query(`UPDATE ${cellsTable} SET good_quantity = good_quantity + 1000 WHERE tenant_id = 'DEMO'`);
    await mes.query(
      `UPDATE ${daysTable} SET good_quantity = good_quantity + 100 WHERE tenant_id = 'DEMO' AND rollup_zone = 'UTC'`,
    );
    const total = parseAggregateQuery('work_report', { measures: 'sum:goodQuantity' }, model, parseListQuery);
    expect((await fromRollup.aggregate('work_report', total, ctx)).rows).toEqual([
      { 'sum:goodQuantity': 435 },
    ]);
    const hourly = parseAggregateQuery(
      'work_report',
      { groupBy: 'startTime:hour', measures: 'sum:goodQuantity' },
      model,
      parseListQuery,
    );
    expect(
      (await fromRollup.aggregate('work_report', hourly, ctx)).rows.map((row) => row['sum:goodQuantity']),
    ).toEqual([1030, 1005, 1100]);
    const conditioned = parseAggregateQuery(
      'work_report',
      { measures: 'sum:goodQuantity', filter: JSON.stringify({ goodQuantity: { gt: 0 } }) },
      model,
      parseListQuery,
    );
    expect((await fromRollup.aggregate('work_report', conditioned, ctx)).rows).toEqual([
      { 'sum:goodQuantity': 135 },
    ]);
    await rebuildRollups(mes.database, model, 'DEMO');
    expect((await fromRollup.aggregate('work_report', total, ctx)).rows).toEqual([
      { 'sum:goodQuantity': 135 },
    ]);
  });
});
