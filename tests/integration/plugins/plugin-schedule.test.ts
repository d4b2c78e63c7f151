import { nextCronTime, parseCron } from '../../../platform/src/plugins/plugin-jobs';

const next = (expression: string, after: string) =>
  nextCronTime(parseCron(expression), new Date(after)).toISOString();

describe('plugin job schedules (cron, UTC)', () => {
  it('finds the next matching minute strictly after the given time', () => {
    expect(next('*/15 * * * *', '2026-11-25T10:07:30Z')).toBe('2026-11-25T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-11-25T10:15:00Z')).toBe('2026-11-25T10:30:00.000Z');
    expect(next('0 2 * * *', '2026-11-25T10:00:00Z')).toBe('2026-11-26T02:00:00.000Z');
    expect(next('30 6 1 * *', '2026-11-25T00:00:00Z')).toBe('2026-12-01T06:30:00.000Z');
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('matches day of month or day of week when both are restricted, as cron does', () => {
    // 2026-11-25 is a Wednesday: the next Monday (30th) comes before the 1st.
    expect(next('0 8 1 * 1', '2026-11-25T09:00:00Z')).toBe('2026-11-30T08:00:00.000Z');
    expect(next('0 8 * * 7', '2026-11-25T09:00:00Z')).toBe('2026-11-29T08:00:00.000Z');
    expect(next('0 9-17/4 * * 1-5', '2026-11-27T17:30:00Z')).toBe('2026-11-30T09:00:00.000Z');
  });

  it('refuses malformed expressions naming the field', () => {
    expect(() => parseCron('* * * *')).toThrow(/5 fields/);
    expect(() => parseCron('60 * * * *')).toThrow(/bad minute '60'/);
    expect(() => parseCron('* 5-2 * * *')).toThrow(/bad hour/);
    expect(() => parseCron('* * * 13 *')).toThrow(/bad month/);
    expect(() => parseCron('* * * * 8')).toThrow(/bad day of week '8'/);
    expect(() => parseCron('* * 32 * *')).toThrow(/bad day of month/);
  });

  it('accepts day and month names', () => {
    expect(next('0 8 * * mon', '2026-11-25T09:00:00Z')).toBe('2026-11-30T08:00:00.000Z');
  });
});
