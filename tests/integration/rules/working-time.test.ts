/**
 * Working calendars on the real server (SQLite): the working time of a plant calendar as the
 * schedule reads it (`GET /api/calendars/:id/working-time`), and the work-order rules that refuse a
 * planned start or end in non-working time of the line's plant calendar, on the plant's clock — a
 * weekend, a holiday exception, the hours between shifts — while a night shift that crosses midnight
 * still covers the small hours of the next day.
 */
import { startMesServer, type MesServer } from '../scenario/mes-server';

describe('working calendars of lines', () => {
  let mes: MesServer;
  let calendarId: number;
  let lineId: number;
  let itemId: number;

  beforeAll(async () => {
    mes = await startMesServer('sqlite', 'working_time');
    const day = await mes.create('admin', '/api/shifts', {
      shiftCode: 'WT-DAY',
      shiftName: 'Day',
      startTime: '08:00',
      endTime: '17:00',
    });
    const night = await mes.create('admin', '/api/shifts', {
      shiftCode: 'WT-NIGHT',
      shiftName: 'Night',
      startTime: '22:00',
      endTime: '06:00',
      crossesMidnight: true,
    });
    const calendar = await mes.create('admin', '/api/calendars', {
      calendarCode: 'WT',
      calendarName: 'Working-time test calendar',
      year: 2027,
      workingWeekdays: [1, 2, 3, 4, 5],
      defaultShiftsIds: [day.id, night.id],
      days: [{ workDate: '2027-03-10', dayType: 'HOLIDAY' }],
    });
    calendarId = Number(calendar.id);
    const plant = await mes.create('admin', '/api/plants', {
      plantCode: 'WT-PLANT',
      plantName: 'Working-time plant',
      timezone: 'Asia/Shanghai',
      calendarId,
    });
    const line = await mes.create('admin', '/api/production-lines', {
      lineCode: 'WT1',
      lineName: 'Working-time line',
      plantId: plant.id,
    });
    lineId = Number(line.id);
    const uom = await mes.create('admin', '/api/units', { uomCode: 'WT-PCS', uomName: 'Pieces' });
    const item = await mes.create('admin', '/api/items', {
      itemName: 'Working-time item',
      itemType: 'FINISHED',
      uomId: uom.id,
    });
    itemId = Number(item.id);
  }, 180_000);

  afterAll(async () => {
    await mes?.stop();
  });

  const order = (plannedStart: string, plannedEnd?: string) =>
    mes.call('planner', 'POST', '/api/work-orders', {
      itemId,
      lineId,
      plannedQuantity: 10,
      plannedStart,
      ...(plannedEnd ? { plannedEnd } : {}),
    });

  it('answers the working spans of a day on the plant clock, the night shift clipped at the range', async () => {
    const reply = await mes.call(
      'planner',
      'GET',
      `/api/calendars/${calendarId}/working-time?from=2027-03-07T16:00:00Z&to=2027-03-08T16:00:00Z&tz=Asia/Shanghai`,
    );
    expect(reply.statusCode).toBe(200);
    expect(reply.json().data.working).toEqual([
      { start: '2027-03-08T00:00:00.000Z', end: '2027-03-08T09:00:00.000Z' },
      { start: '2027-03-08T14:00:00.000Z', end: '2027-03-08T16:00:00.000Z' },
    ]);
    const holiday = await mes.call(
      'planner',
      'GET',
      `/api/calendars/${calendarId}/working-time?from=2027-03-09T20:00:00Z&to=2027-03-10T16:00:00Z&tz=Asia/Shanghai`,
    );
    // Tuesday's night shift runs into the holiday until 06:00; the holiday itself works nothing.
    expect(holiday.json().data.working).toEqual([
      { start: '2027-03-09T20:00:00.000Z', end: '2027-03-09T22:00:00.000Z' },
    ]);
  });

  it('refuses the caller without read on calendars, and a time zone the runtime does not know', async () => {
    const range = 'from=2027-03-08T00:00:00Z&to=2027-03-09T00:00:00Z';
    expect(
      (await mes.call('operator', 'GET', `/api/calendars/${calendarId}/working-time?${range}`)).statusCode,
    ).toBe(403);
    const zone = await mes.call(
      'planner',
      'GET',
      `/api/calendars/${calendarId}/working-time?${range}&tz=Mars/Olympus`,
    );
    expect(zone.statusCode).toBe(400);
    expect(zone.json().errors).toEqual([expect.objectContaining({ field: 'tz' })]);
  });

  it("refuses a new order starting on a weekend of the line calendar, with the rule's message", async () => {
    // Saturday 13 March 2027, 10:00 in Shanghai.
    const weekend = await order('2027-03-13T02:00:00Z');
    expect(weekend.statusCode).toBe(422);
    expect(weekend.json()).toMatchObject({
      code: 'BUSINESS_RULE',
      message: expect.stringContaining('non-working'),
    });
    // Monday 09:00 to Monday 16:00 in Shanghai: inside the day shift.
    expect((await order('2027-03-08T01:00:00Z', '2027-03-08T08:00:00Z')).statusCode).toBe(201);
  });

  it('refuses a reschedule into a holiday or between shifts; the night shift covers the small hours', async () => {
    const created = await order('2027-03-08T01:00:00Z', '2027-03-08T08:00:00Z');
    expect(created.statusCode).toBe(201);
    let current = created.json().data as { id: number; version: number };
    const move = async (plannedStart: string, plannedEnd: string) => {
      const reply = await mes.call('planner', 'PATCH', `/api/work-orders/${current.id}`, {
        plannedStart,
        plannedEnd,
        version: current.version,
      });
      if (reply.statusCode === 200) current = reply.json().data;
      return reply;
    };
    // Wednesday 10 March is a holiday.
    const holiday = await move('2027-03-10T02:00:00Z', '2027-03-10T08:00:00Z');
    expect(holiday.statusCode).toBe(422);
    expect(holiday.json()).toMatchObject({
      code: 'BUSINESS_RULE',
      message: expect.stringContaining('non-working'),
    });
    // Tuesday 19:00 falls between the day and the night shift.
    expect((await move('2027-03-09T11:00:00Z', '2027-03-09T20:00:00Z')).statusCode).toBe(422);
    // Tuesday 23:00 to Wednesday 05:00: Tuesday's night shift, though Wednesday is a holiday.
    expect((await move('2027-03-09T15:00:00Z', '2027-03-09T21:00:00Z')).statusCode).toBe(200);
  });

  it('applies a calendar change to the very next order', async () => {
    const setHolidays = async (dates: string[]) => {
      const current = (await mes.call('admin', 'GET', `/api/calendars/${calendarId}`)).json().data as {
        version: number;
      };
      const reply = await mes.call('admin', 'PATCH', `/api/calendars/${calendarId}`, {
        days: dates.map((workDate) => ({ workDate, dayType: 'HOLIDAY' })),
        version: current.version,
      });
      expect(reply.statusCode).toBe(200);
    };
    // Monday 15 March 2027, 09:00 in Shanghai: a working day, read (and kept) by the rule.
    expect((await order('2027-03-15T01:00:00Z')).statusCode).toBe(201);
    await setHolidays(['2027-03-10', '2027-03-15']);
    expect((await order('2027-03-15T01:00:00Z')).statusCode).toBe(422);
    await setHolidays(['2027-03-10']);
    expect((await order('2027-03-15T01:00:00Z')).statusCode).toBe(201);
  });
});
