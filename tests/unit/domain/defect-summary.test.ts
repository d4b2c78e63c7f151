import { summarizeDefects, type DefectCode } from '../../../platform/src/domain/quality/defect-summary';

const codes = new Map<number, DefectCode>([
  [1, { code: 'SCRATCH', severity: 'MINOR' }],
  [2, { code: 'CRACK', severity: 'CRITICAL' }],
  [3, { code: 'BURR', severity: 'MAJOR' }],
  [4, { code: 'STAIN', severity: null }],
]);

describe('defect summary of a failed inspection', () => {
  it('counts per code, most frequent first, and by severity (critical counts as major too)', () => {
    const summary = summarizeDefects(
      12,
      [
        { defectCodeId: 1, count: 2 },
        { defectCodeId: 2, count: 1 },
        { defectCodeId: 1, count: 3 },
        { defectCodeId: 3, count: 2 },
        { defectCodeId: 4, count: 2 },
        { defectCodeId: null, count: 2 },
      ],
      codes,
    );
    expect(summary).toEqual({
      total: 12,
      major: 3,
      minor: 5,
      critical: 1,
      defect_codes: [
        { code: 'SCRATCH', count: 5 },
        { code: 'BURR', count: 2 },
        { code: 'STAIN', count: 2 },
        { code: 'CRACK', count: 1 },
      ],
    });
  });

  it('keeps the total of an inspection failed on its defect quantity alone', () => {
    expect(summarizeDefects(4, [], codes)).toEqual({
      total: 4,
      major: 0,
      minor: 0,
      critical: 0,
      defect_codes: [],
    });
  });

  it('ignores a code that no longer resolves', () => {
    expect(summarizeDefects(1, [{ defectCodeId: 99, count: 1 }], codes).defect_codes).toEqual([]);
  });
});
