import fc from 'fast-check';
import { csvLine, CsvSyntaxError, parseCsv } from '../../../platform/src/crud/http/csv';

describe('CSV', () => {
  it('round-trips any table of strings (quotes, commas, line breaks included)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ',', '"', '\n', '\r\n', ' ', '中') });
    const table = fc.array(fc.array(cell, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(table, (rows) => {
        const width = rows[0].length;
        const rectangular = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? 'x'));
        const text = rectangular.map((r) => csvLine(r)).join('');
        expect(parseCsv(text)).toEqual(rectangular.filter((r) => r.some((c) => c !== '')));
      }),
    );
  });

  it('accepts a byte order mark and LF line ends, and skips lines without values', () => {
    expect(parseCsv('\uFEFFa,b\n1,2\n\n,\n3,"x\ny"\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', 'x\ny'],
    ]);
  });

  it('writes null as empty, dates as ISO and objects as JSON', () => {
    expect(csvLine([null, new Date('2026-01-02T03:04:05.000Z'), { a: 1 }])).toBe(
      ',2026-01-02T03:04:05.000Z,"{""a"":1}"\r\n',
    );
  });

  it('reports unterminated quotes and stray characters with the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"x"y')).toThrow(/line 2/);
  });
});
