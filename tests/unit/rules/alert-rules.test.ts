import {
  alertDedupKey,
  alertRuleDue,
  compareWithThreshold,
  parseMetric,
} from '../../../platform/src/rules/alert-rules';

describe('alert rule metrics and schedule', () => {
  it('reads count, <fn>(<field>) and a plain field as its average', () => {
    expect(parseMetric('count')).toEqual({ fn: 'count', field: null });
    expect(parseMetric(' sum( quality_cost ) ')).toEqual({ fn: 'sum', field: 'quality_cost' });
    expect(parseMetric('yield_rate')).toEqual({ fn: 'avg', field: 'yield_rate' });
    expect(parseMetric('median(yield_rate)')).toBeNull();
    expect(parseMetric('a + b')).toBeNull();
  });

  it('compares by each operator', () => {
    expect(
      ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NE'].map((op) => compareWithThreshold(op as never, 5, 5)),
    ).toEqual([false, true, false, true, true, false]);
    expect(compareWithThreshold('LT', 4, 5)).toBe(true);
  });

  it('is due on the tick in which a multiple of its interval falls', () => {
    const minute = Date.UTC(2030, 0, 1, 0, 1, 0);
    expect(alertRuleDue(60, minute)).toBe(true);
    expect(alertRuleDue(60, minute + 10_000)).toBe(false);
    expect(alertRuleDue(60, minute + 50_000)).toBe(false);
    expect(alertRuleDue(10, minute + 10_000)).toBe(true);
    // An interval that is no multiple of the tick is due once per interval, on the tick after it.
    const due = Array.from({ length: 18 }, (_, i) => alertRuleDue(45, minute + i * 10_000));
    expect(due.filter(Boolean)).toHaveLength(4);
  });

  it('deduplicates per rule and record, per field value, or by an alert rule with its group', () => {
    expect(alertDedupKey({ rule: 'r', entity: 'ncr', recordId: 7 })).toBe('rule:r:ncr:7');
    expect(
      alertDedupKey({
        rule: 'r',
        entity: 'test_record',
        recordId: 7,
        per: { path: 'workstation', value: '3' },
      }),
    ).toBe('rule:r:test_record.workstation:3');
    expect(alertDedupKey({ dedupKey: 'alert_rule:5', per: null })).toBe('alert_rule:5');
    expect(alertDedupKey({ dedupKey: 'alert_rule:5', per: { path: 'workstation.line', value: null } })).toBe(
      'alert_rule:5.workstation.line:-',
    );
  });
});
