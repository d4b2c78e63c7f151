/**
 * The statements a request issues through the real server on MariaDB, with authentication on and as
 * a role (not the admin): an update reads the row once, inside its transaction, with the caller's
 * row scope compiled into that read, then writes the row, its audit record and its outbox event; a
 * create adds the working-time rule's one read of the line with its plant, one reference check, one numbering
 * statement; a read by id is one
 * statement; a list is one page query and one count, the caller's scope compiled into both. The caches of the
 * token and the permission decisions are warm, as they are for every request after a user's first.
 * Statements that need no answer (START TRANSACTION, the audit and outbox rows) travel with the next
 * one, and so do the create's reference check and numbering: an update is three round trips, a create three.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'typeorm';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

type Row = Record<string, unknown>;

/** A statement by its verb and table, e.g. `UPDATE work_order`; subqueries are left out. */
function shape(sql: string): string {
  let outer = sql;
  while (/\([^()]*\)/.test(outer)) outer = outer.replace(/\([^()]*\)/g, '');
  // A page read as ids picked by a derived table and joined to their rows: the table it reads.
  outer = outer.replace(/\bFROM\s+\w+\s+JOIN\s+/i, 'FROM ');
  const verb = /^\s*(\w+(?: TRANSACTION)?)/i.exec(outer)![1]!.toUpperCase();
  const table = /\b(?:FROM|INTO|UPDATE)\s+`?(\w+)`?/i.exec(outer)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** The conditions of a statement: what follows its last WHERE (a subquery here sits in the select list). */
function conditions(sql: string): string {
  return sql.slice(sql.lastIndexOf(' WHERE '));
}

describe('statements per request through the server (MariaDB)', () => {
  let harness: SecurityServer;
  let starting: Promise<SecurityServer> | undefined;
  const request = new AsyncLocalStorage<string[]>();
  let lineId: number;
  let itemId: number;
  let orderId: number;

  /**
   * The SQL the server sends while answering one request: its statements, and its queries (round
   * trips), each of which may carry several statements.
   */
  async function sentBy(work: () => Promise<unknown>): Promise<{ statements: string[]; queries: string[] }> {
    const queries: string[] = [];
    await request.run(queries, work);
    return { statements: queries.flatMap((sql) => sql.split(';\n')), queries };
  }

  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    return (await sentBy(work)).statements;
  }

  async function created(who: string, url: string, payload: object): Promise<number> {
    const response = await harness.call(who, 'POST', url, payload);
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (response.json().data as { id: number }).id;
  }

  beforeAll(async () => {
    starting = startSecurityServer('mysql', 'statements');
    harness = await starting;
    // Every statement goes through a TypeORM query runner, which hands it to the DataSource's logger
    // in the async context of the request that issued it.
    const logger = harness.server.dataSource.logger;
    const counting: Logger = {
      logQuery: (query, parameters, runner) => {
        request.getStore()?.push(query);
        logger.logQuery(query, parameters, runner);
      },
      logQueryError: (...args) => logger.logQueryError(...args),
      logQuerySlow: (...args) => logger.logQuerySlow(...args),
      logSchemaBuild: (...args) => logger.logSchemaBuild(...args),
      logMigration: (...args) => logger.logMigration(...args),
      log: (...args) => logger.log(...args),
    };
    Object.assign(harness.server.dataSource, { logger: counting });

    const uomId = await created('admin', '/api/units', { uomCode: 'ST-PCS', uomName: 'Pieces' });
    const plantId = await created('admin', '/api/plants', { plantCode: 'ST-P1', plantName: 'Plant ST' });
    const line = (code: string) =>
      created('admin', '/api/production-lines', { lineCode: code, lineName: `Line ${code}`, plantId });
    lineId = await line('ST01');
    const otherLine = await line('ST02');
    itemId = await created('admin', '/api/items', { itemName: 'Counter', itemType: 'FINISHED', uomId });
    const order = (onLine: number) =>
      created('planner', '/api/work-orders', {
        itemId,
        lineId: onLine,
        plannedQuantity: 5,
        plannedStart: '2026-12-01T08:00:00Z',
      });
    orderId = await order(lineId);
    await order(otherLine);
    const users = await harness.call('admin', 'GET', '/api/users?filter[username][eq]=operator');
    const operator = (users.json().data as { items: Row[] }).items[0]!;
    const assigned = await harness.call('admin', 'PATCH', `/api/users/${String(operator.id)}`, {
      linesIds: [lineId],
      version: operator.version,
    });
    expect(assigned.statusCode).toBe(200);
    // Each caller's first request fills the token and permission caches.
    for (const who of ['planner', 'operator']) await harness.call(who, 'GET', '/api/work-orders?pageSize=1');
  }, 300_000);
  // A start that outlived the hook's timeout is awaited, so its server and pool are closed too.
  afterAll(async () => (await starting?.catch(() => undefined))?.stop());

  it('updates a record in two round trips: one locking read of the row, then the row, audit and outbox with the commit', async () => {
    const current = (await harness.call('planner', 'GET', `/api/work-orders/${orderId}`)).json().data as Row;
    let status = 0;
    const { statements, queries } = await sentBy(async () => {
      const response = await harness.call('planner', 'PATCH', `/api/work-orders/${orderId}`, {
        plannedQuantity: 7,
        version: current.version,
      });
      status = response.statusCode;
    });
    expect(status).toBe(200);
    expect(statements.map(shape)).toEqual([
      'START TRANSACTION',
      'SELECT work_order',
      'UPDATE work_order',
      'INSERT audit_log',
      'INSERT evt_outbox',
      'COMMIT',
    ]);
    // The caller's row scope (the planner's: its tenant) is compiled into the one read.
    expect(conditions(statements[1]!)).toMatch(/^ WHERE t\.`id` = \? AND t\.`tenant_id` = \?/);
    // The read locks the row: START TRANSACTION travels with it, and the row's UPDATE, needing no
    // version check, travels with the audit and outbox rows and the COMMIT.
    expect(statements[1]).toMatch(/ FOR UPDATE$/);
    expect(queries.map((sql) => sql.split(';\n').map(shape))).toEqual([
      ['START TRANSACTION', 'SELECT work_order'],
      ['UPDATE work_order', 'INSERT audit_log', 'INSERT evt_outbox', 'COMMIT'],
    ]);
  });

  it('lists a page with one page query and one count, both under the caller’s line scope', async () => {
    let items: Row[] = [];
    const statements = await statementsOf(async () => {
      const response = await harness.call('operator', 'GET', '/api/work-orders?pageSize=20');
      items = (response.json().data as { items: Row[] }).items;
    });
    expect(items.map((item) => item.lineId)).toEqual([lineId]);
    expect(statements.map(shape)).toEqual(['SELECT work_order', 'SELECT work_order']);
    for (const sql of statements) expect(conditions(sql)).toContain('`line_id`');
  });

  it('reads a record by id with one statement', async () => {
    const statements = await statementsOf(() =>
      harness.call('operator', 'GET', `/api/work-orders/${orderId}`),
    );
    expect(statements.map(shape)).toEqual(['SELECT work_order']);
  });

  it('creates a work order with the working-time rule’s read of line and plant, one reference check, one numbering statement, the row, audit and outbox', async () => {
    let status = 0;
    const { statements, queries } = await sentBy(async () => {
      const response = await harness.call('planner', 'POST', '/api/work-orders', {
        itemId,
        lineId,
        plannedQuantity: 3,
        plannedStart: '2026-12-02T08:00:00Z',
      });
      status = response.statusCode;
    });
    expect(status).toBe(201);
    expect(statements.map(shape)).toEqual([
      'START TRANSACTION',
      // The item and the line in one statement, which also returns the line code the number
      // needs: sent ahead of the before hooks, with their first read.
      'SELECT item_master',
      // The working-time rule follows line → plant to the plant's calendar, the plant joined to
      // the line in one statement (this plant has none, so neither calendars nor shifts are read).
      'SELECT production_line',
      'INSERT sys_sequence',
      'INSERT work_order',
      // No workflow row: a record enters its workflow with its first action.
      'INSERT audit_log',
      'INSERT evt_outbox',
      'COMMIT',
    ]);
    // The rule reads of line and plant only what its paths name: each row's id, the line's plant,
    // the plant's calendar and time zone.
    const ruleRead = statements.find((sql) => shape(sql) === 'SELECT production_line')!;
    expect(ruleRead.match(/ AS h\d+_\d+/g)).toHaveLength(5);
    // Three round trips for those eight statements: the row's number is the sequence's new value,
    // taken by the INSERT from the statement before it in the same query.
    expect(queries.map((sql) => sql.split(';\n').map(shape))).toEqual([
      ['START TRANSACTION', 'SELECT item_master', 'SELECT production_line'],
      ['INSERT sys_sequence', 'INSERT work_order'],
      ['INSERT audit_log', 'INSERT evt_outbox', 'COMMIT'],
    ]);
  });

  it('keeps the working time once the rule needed it, and sends it with the line read after a calendar change', async () => {
    const shiftId = await created('admin', '/api/shifts', {
      shiftCode: 'ST-ALL',
      shiftName: 'All day',
      startTime: '00:00',
      endTime: '23:59',
    });
    const calendarId = await created('admin', '/api/calendars', {
      calendarCode: 'ST-CAL',
      calendarName: 'Every day',
      year: 2026,
      workingWeekdays: [1, 2, 3, 4, 5, 6, 7],
      defaultShiftsIds: [shiftId],
    });
    const plantId = await created('admin', '/api/plants', {
      plantCode: 'ST-P2',
      plantName: 'Plant ST with a calendar',
      calendarId,
    });
    const calendarLine = await created('admin', '/api/production-lines', {
      lineCode: 'ST03',
      lineName: 'Line ST03',
      plantId,
    });
    const create = () =>
      sentBy(async () => {
        const response = await harness.call('planner', 'POST', '/api/work-orders', {
          itemId,
          lineId: calendarLine,
          plannedQuantity: 3,
          plannedStart: '2026-12-02T08:00:00Z',
        });
        expect(response.statusCode).toBe(201);
      });
    const rounds = (queries: string[]) => queries.map((sql) => sql.split(';\n').map(shape));
    await harness.call('planner', 'GET', '/api/work-orders?pageSize=1');
    // The first create learns that the rule reads the working time: one more round trip.
    expect(rounds((await create()).queries).slice(0, 2)).toEqual([
      ['START TRANSACTION', 'SELECT item_master', 'SELECT production_line'],
      ['SELECT calendar'],
    ]);
    // The next one finds it kept: nothing is read for it.
    expect(rounds((await create()).queries)).toEqual([
      ['START TRANSACTION', 'SELECT item_master', 'SELECT production_line'],
      ['INSERT sys_sequence', 'INSERT work_order'],
      ['INSERT audit_log', 'INSERT evt_outbox', 'COMMIT'],
    ]);
    // A change of the calendar drops it; the next create sends its read with the line read.
    const calendar = await harness.call('admin', 'GET', `/api/calendars/${calendarId}`);
    const renamed = await harness.call('admin', 'PATCH', `/api/calendars/${calendarId}`, {
      calendarName: 'Every day of the week',
      version: (calendar.json().data as { version: number }).version,
    });
    expect(renamed.statusCode).toBe(200);
    expect(rounds((await create()).queries)).toEqual([
      ['START TRANSACTION', 'SELECT item_master', 'SELECT calendar', 'SELECT production_line'],
      ['INSERT sys_sequence', 'INSERT work_order'],
      ['INSERT audit_log', 'INSERT evt_outbox', 'COMMIT'],
    ]);
  });
});
