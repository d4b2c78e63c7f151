import fc from 'fast-check';
import { csvRows, CsvSyntaxError, parseCsv, parseCsvRecords } from '../../../platform/src/crud/http/csv';
import { neutralizeFormula, restoreFormulaText } from '../../../metadata/src/formula-cells';

describe('CSV', () => {
  it('round-trips any table of strings (quotes, commas, line breaks, formula-like text included)', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', 'Z', '1', ',', '"', '\n', '\r', '\r\n', ' ', '中', '=', '-', '@', "'", '\t'),
    });
    const table = fc.array(fc.array(cell, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(table, (rows) => {
        const width = rows[0].length;
        const rectangular = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? 'x'));
        const read = parseCsv(csvRows(rectangular)).map((r) => r.map(restoreFormulaText));
        expect(read).toEqual(rectangular.filter((r) => r.some((c) => c !== '')));
      }),
    );
  });

  it('accepts a byte order mark and LF or CR line ends, and skips lines without values', () => {
    expect(parseCsv('\uFEFFa,b\n1,2\n\n,\n3,"x\ny"\r4,5\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', 'x\ny'],
      ['4', '5'],
    ]);
  });

  it('numbers records as a spreadsheet does: skipped blank rows count, a quoted line break does not', () => {
    expect(parseCsvRecords('a\r\n\r\n"x\r\ny"\r\n,\r\nb\r\n').map((r) => r.number)).toEqual([1, 3, 5]);
  });

  it('writes null as empty, booleans as words, dates as ISO and objects as JSON', () => {
    expect(csvRows([[null, true, false, new Date('2026-01-02T03:04:05.000Z'), { a: 1 }]])).toBe(
      ',true,false,2026-01-02T03:04:05.000Z,"{""a"":1}"\r\n',
    );
  });

  it('quotes a lone CR or LF inside a field', () => {
    expect(csvRows([['a\rb', 'c\nd']])).toBe('"a\rb","c\nd"\r\n');
  });

  it('neutralises text cells a spreadsheet would run as a formula, never numbers', () => {
    const written = csvRows([
      ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", '@SUM(A1)', '-2+3', '\tx', '\rx', '＝1', -5, 1.5],
    ]);
    expect(parseCsv(written)[0]).toEqual([
      `'=HYPERLINK("http://x","y")`,
      `'+cmd|' /C calc'!A0`,
      "'@SUM(A1)",
      "'-2+3",
      "'\tx",
      "'\rx",
      "'＝1",
      '-5',
      '1.5',
    ]);
  });

  it('undoes exactly the apostrophe neutralisation added', () => {
    for (const text of ['=1', "'=1", "''@x", "'plain", 'plain', '-', ''])
      expect(restoreFormulaText(neutralizeFormula(text))).toBe(text);
    expect(neutralizeFormula("'plain")).toBe("'plain");
  });

  it('reports unterminated quotes and stray characters with the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"x"y')).toThrow(/line 2/);
  });
});
