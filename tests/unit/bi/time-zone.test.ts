import { offsetAt, offsetPeriods } from '../../../platform/src/bi/time-zone';

describe('time zone offsets', () => {
  it('tabulates a zone without daylight saving time as one period', () => {
    expect(offsetPeriods('Asia/Shanghai')).toEqual([{ from: null, offsetMinutes: 480 }]);
  });

  it('finds the minute of each daylight-saving change', () => {
    const periods = offsetPeriods('Europe/Berlin');
    const of2026 = periods.filter((period) => period.from?.startsWith('2026-'));
    expect(of2026).toEqual([
      { from: '2026-03-29T01:00:00.000Z', offsetMinutes: 120 },
      { from: '2026-10-25T01:00:00.000Z', offsetMinutes: 60 },
    ]);
    expect(offsetAt(periods, Date.parse('2026-03-29T00:59:00Z'))).toBe(60);
    expect(offsetAt(periods, Date.parse('2026-03-29T01:00:00Z'))).toBe(120);
  });

  it('keeps offsets that are not whole hours', () => {
    const periods = offsetPeriods('Asia/Kolkata');
    expect(periods).toEqual([{ from: null, offsetMinutes: 330 }]);
    const chatham = offsetPeriods('Pacific/Chatham').filter((period) => period.from?.startsWith('2026-'));
    expect(chatham.map((period) => period.offsetMinutes)).toEqual([765, 825]);
  });
});
