/**
 * `GET /api/<entity>/aggregate` through the real server on SQLite and MariaDB: exact answers on a
 * hand-computed data set (groups through relations, time buckets in a plant time zone across a DST
 * change, every measure, having, sort and top-N, the list's filters), the caller's row scope (a
 * line-scoped operator never counts another line's rows; the aggregate equals the list total),
 * field rules (grouping or aggregating a hidden field is refused naming it) and 400s naming the
 * parameter.
 */
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('aggregate API on %s', (dialect) => {
  let mes: SecurityServer;
  const ids: Record<string, number> = {};
  const path = (entity: string) => `/api/${mes.server.registry.current().entities.get(entity)!.path}`;
  const create = async (entity: string, body: object): Promise<number> => {
    const response = await mes.call('admin', 'POST', path(entity), body);
    if (response.statusCode !== 201) throw new Error(`${entity}: ${response.body}`);
    return (response.json().data as { id: number }).id;
  };
  const aggregate = async (query: string, user = 'admin') => {
    const response = await mes.call(user, 'GET', `/api/work-orders/aggregate?${query}`);
    if (response.statusCode !== 200) throw new Error(`${query}: ${response.statusCode} ${response.body}`);
    return response.json().data as { rows: Record<string, unknown>[]; groupBy: string[]; timeZone: string };
  };
  const DECEMBER = 'filter[plannedStart][gte]=2026-11-01T00:00:00Z';

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'aggregate');
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant one' });
    ids.line1 = await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: plant });
    ids.line2 = await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: plant });
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', {
      itemName: 'Housing',
      itemType: 'RAW',
      uomId: uom,
      unitCost: 3,
    });
    const orders: [number, number, string, string][] = [
      [ids.line1, 10, '2026-12-01T08:00:00Z', 'HIGH'],
      [ids.line1, 20, '2026-12-01T17:30:00Z', 'NORMAL'],
      [ids.line1, 30, '2026-12-02T09:00:00Z', 'NORMAL'],
      [ids.line2, 5, '2026-12-01T10:00:00Z', 'HIGH'],
      [ids.line2, 7, '2026-12-08T10:00:00Z', 'LOW'],
      // New York leaves EST (UTC-5) for EDT (UTC-4) at 07:00Z on 2026-03-08.
      [ids.line2, 1, '2026-03-08T06:30:00Z', 'LOW'],
      [ids.line2, 1, '2026-03-08T07:30:00Z', 'LOW'],
    ];
    for (const [lineId, plannedQuantity, plannedStart, priority] of orders)
      await create('work_order', { itemId: item, lineId, plannedQuantity, plannedStart, priority });
    const [operator] = await mes.query<{ id: number; version: number }>(
      "SELECT id, version FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'operator'",
    );
    const patched = await mes.call('admin', 'PATCH', `${path('user')}/${operator.id}`, {
      linesIds: [ids.line1],
      version: Number(operator.version),
    });
    if (patched.statusCode !== 200) throw new Error(patched.body);
  });
  afterAll(async () => {
    await mes?.stop();
  });

  it('groups through a relation with every measure, exactly', async () => {
    const measures =
      'count,countDistinct:priority,sum:plannedQuantity,avg:plannedQuantity,min:plannedStart,max:plannedQuantity,sum:plannedQuantity/count';
    const data = await aggregate(`groupBy=line.lineCode&measures=${measures}&${DECEMBER}`);
    expect(data.groupBy).toEqual(['line.lineCode']);
    expect(data.rows).toEqual([
      {
        'line.lineCode': 'L1',
        count: 3,
        'countDistinct:priority': 2,
        'sum:plannedQuantity': 60,
        'avg:plannedQuantity': 20,
        'min:plannedStart': '2026-12-01T08:00:00.000Z',
        'max:plannedQuantity': 30,
        'sum:plannedQuantity/count': 20,
      },
      {
        'line.lineCode': 'L2',
        count: 2,
        'countDistinct:priority': 2,
        'sum:plannedQuantity': 12,
        'avg:plannedQuantity': 6,
        'min:plannedStart': '2026-12-01T10:00:00.000Z',
        'max:plannedQuantity': 7,
        'sum:plannedQuantity/count': 6,
      },
    ]);
  });

  it('cuts time buckets in the requested time zone', async () => {
    const utc = await aggregate(`groupBy=plannedStart:day&${DECEMBER}`);
    expect(utc.timeZone).toBe('UTC');
    expect(utc.rows).toEqual([
      { 'plannedStart:day': '2026-12-01', count: 3 },
      { 'plannedStart:day': '2026-12-02', count: 1 },
      { 'plannedStart:day': '2026-12-08', count: 1 },
    ]);
    // 17:30Z on 1 December is 01:30 on 2 December in Shanghai (UTC+8).
    const shanghai = await aggregate(`groupBy=plannedStart:day&tz=Asia/Shanghai&${DECEMBER}`);
    expect(shanghai.rows).toEqual([
      { 'plannedStart:day': '2026-12-01', count: 2 },
      { 'plannedStart:day': '2026-12-02', count: 2 },
      { 'plannedStart:day': '2026-12-08', count: 1 },
    ]);
    const weeks = await aggregate(
      `groupBy=plannedStart:week,plannedStart:month&measures=sum:plannedQuantity`,
    );
    expect(weeks.rows).toEqual([
      { 'plannedStart:week': '2026-03-02', 'plannedStart:month': '2026-03', 'sum:plannedQuantity': 2 },
      { 'plannedStart:week': '2026-11-30', 'plannedStart:month': '2026-12', 'sum:plannedQuantity': 65 },
      { 'plannedStart:week': '2026-12-07', 'plannedStart:month': '2026-12', 'sum:plannedQuantity': 7 },
    ]);
    const newYork = await aggregate(
      'groupBy=plannedStart:hour&tz=America/New_York&filter[plannedStart][lt]=2026-04-01T00:00:00Z',
    );
    expect(newYork.rows).toEqual([
      { 'plannedStart:hour': '2026-03-08T01:00', count: 1 },
      { 'plannedStart:hour': '2026-03-08T03:00', count: 1 },
    ]);
  });

  it('applies the list filter, having, sort by a measure and top-N', async () => {
    const high = await aggregate(`groupBy=lineId&filter[priority]=HIGH`);
    expect(high.rows).toEqual([
      { lineId: ids.line1, count: 1 },
      { lineId: ids.line2, count: 1 },
    ]);
    const having = await aggregate(`groupBy=line.lineCode&having[count][gte]=3&${DECEMBER}`);
    expect(having.rows).toEqual([{ 'line.lineCode': 'L1', count: 3 }]);
    const top = await aggregate(
      'groupBy=priority&measures=sum:plannedQuantity&sort=-sum:plannedQuantity&limit=2',
    );
    expect(top.rows).toEqual([
      { priority: 'NORMAL', 'sum:plannedQuantity': 50 },
      { priority: 'HIGH', 'sum:plannedQuantity': 15 },
    ]);
    const total = await aggregate('');
    expect(total.rows).toEqual([{ count: 7 }]);
  });

  it("never counts a row outside a line-scoped operator's scope, matching the list total", async () => {
    const scoped = await aggregate('groupBy=lineId&measures=count,sum:plannedQuantity', 'operator');
    expect(scoped.rows).toEqual([{ lineId: ids.line1, count: 3, 'sum:plannedQuantity': 60 }]);
    for (const filter of ['', `filter[lineId]=${ids.line2}`, 'filter[priority]=HIGH']) {
      const list = await mes.call('operator', 'GET', `/api/work-orders?count=exact&${filter}`);
      const counted = await aggregate(filter, 'operator');
      expect(counted.rows).toEqual([{ count: list.json().data.total }]);
    }
    expect((await aggregate(`filter[lineId]=${ids.line2}`, 'operator')).rows).toEqual([{ count: 0 }]);
  });

  it.each([
    ['item_master', 'groupBy=unitCost', 'unitCost', 'groupBy'],
    ['item_master', 'measures=sum:unitCost', 'unitCost', 'measures'],
    ['work_order', 'groupBy=item.unitCost', 'item.unitCost', 'groupBy'],
  ])('refuses the operator %s?%s naming %s', async (entity, query, field, parameter) => {
    const response = await mes.call('operator', 'GET', `${path(entity)}/aggregate?${query}`);
    expect(response.statusCode).toBe(403);
    expect(response.json().errors[0]).toMatchObject({ field, path: `/${parameter}`, rule: 'permission' });
  });

  it('refuses a group through a relation into an entity the operator may not read', async () => {
    const response = await mes.call('operator', 'GET', '/api/work-orders/aggregate?groupBy=line.lineCode');
    expect(response.statusCode).toBe(403);
    expect(response.json().message).toContain('production_line');
  });

  it.each([
    ['groupBy=nope', 'groupBy'],
    ['groupBy=status:day', 'groupBy'],
    ['groupBy=plannedStart:fortnight', 'groupBy'],
    ['measures=median:plannedQuantity', 'measures'],
    ['measures=sum:status', 'measures'],
    ['measures=sum', 'measures'],
    ['measures=count/count/count', 'measures'],
    ['having[sum:plannedQuantity][gte]=1', 'having'],
    ['having[count][about]=1', 'having'],
    ['having[count][gte]=many', 'having'],
    ['sort=-plannedQuantity', 'sort'],
    ['limit=0', 'limit'],
    ['limit=100001', 'limit'],
    ['tz=Mars/Olympus', 'tz'],
    ['page=2', 'page'],
  ])('answers 400 naming the parameter for %s', async (query, parameter) => {
    const response = await mes.call('admin', 'GET', `/api/work-orders/aggregate?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toBe(`/${parameter}`);
  });

  it('answers 400 for a filter on an unknown field, as the list does', async () => {
    const response = await mes.call('admin', 'GET', '/api/work-orders/aggregate?filter[nope]=1');
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('UNKNOWN_FIELD');
  });
});
