import {
  alertDedupKey,
  alertRuleDue,
  checkAlertRule,
  compareWithThreshold,
  evaluatorJob,
  groupsOver,
  metricQuery,
  parseMetric,
  thresholdAlertEntities,
  type CheckedAlertRule,
} from '../../../platform/src/rules/alert-rules';
import { compileModel } from '../../../metadata/src/model';
import { validateMetadata } from '../../../metadata/src/validator';
import { REPO_ROOT } from '../metadata/fixtures';

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

  it('evaluates every group of the domain, an empty one as the metric of no rows', () => {
    const rule = (fn: string) => ({ metric: { fn, field: fn === 'count' ? null : 'q' } }) as CheckedAlertRule;
    const rows = [
      { group: 'A', value: 3 },
      { group: null, value: 2 },
    ];
    expect(groupsOver(rule('count'), rows, ['A', 'B'])).toEqual([
      { group: 'A', value: 3 },
      { group: 'B', value: 0 },
      { group: null, value: 2 },
    ]);
    expect(groupsOver(rule('sum'), rows, ['B'])).toEqual([
      { group: 'B', value: 0 },
      { group: 'A', value: 3 },
      { group: null, value: 2 },
    ]);
    expect(groupsOver(rule('avg'), rows, ['A', 'B'])[1]).toEqual({ group: 'B', value: null });
    // Without a domain (a plain field) the groups are the values found.
    expect(groupsOver(rule('count'), rows, null)).toEqual(rows);
  });

  it('keeps a filtered domain to related records: no group for rows without one', () => {
    const filtered = {
      metric: { fn: 'count', field: null },
      groupBy: { filter: { target: {}, rows: {} } },
    } as unknown as CheckedAlertRule;
    expect(
      groupsOver(
        filtered,
        [
          { group: 'A', value: 3 },
          { group: null, value: 2 },
          { group: 'C', value: 1 },
        ],
        ['A', 'B'],
      ),
    ).toEqual([
      { group: 'A', value: 3 },
      { group: 'B', value: 0 },
      { group: 'C', value: 1 },
    ]);
  });
});

describe('the thresholdAlert evaluator', () => {
  it('runs the entities that declare it, by the job names derived from them', () => {
    const model = compileModel(validateMetadata([REPO_ROOT]).set, { version: 1 });
    expect(thresholdAlertEntities(model).map((entity) => entity.name)).toEqual(['alert_rule']);
    expect(evaluatorJob(model, 'evaluate:alert_rule')).toEqual(
      expect.objectContaining({ phase: 'evaluate', entity: expect.objectContaining({ name: 'alert_rule' }) }),
    );
    expect(evaluatorJob(model, 'escalate:alert_rule')?.phase).toBe('escalate');
    // Entities without `evaluatedBy`, and rule names, are not evaluator jobs.
    expect(evaluatorJob(model, 'evaluate:ncr')).toBeNull();
    expect(evaluatorJob(model, 'alert_escalation')).toBeNull();
  });

  it('reads a group filter on the related records, and on the rows under the group-by path', () => {
    const model = compileModel(validateMetadata([REPO_ROOT]).set, { version: 1 });
    const base = {
      data_source: 'equipment',
      metric: 'count',
      operator: 'LT',
      threshold: '1',
      group_by: 'workstation.line',
    };
    const { errors, checked } = checkAlertRule(model, {
      ...base,
      group_filter: "status == 'ACTIVE' and line_code != 'L0'",
    });
    expect(errors).toEqual([]);
    expect(checked!.groupBy!.filter).toEqual({
      target: { and: [{ and: [{ status: { eq: 'ACTIVE' } }, { lineCode: { ne: 'L0' } }] }] },
      rows: {
        and: [
          {
            and: [
              { 'workstation.line.status': { eq: 'ACTIVE' } },
              { 'workstation.line.lineCode': { ne: 'L0' } },
            ],
          },
        ],
      },
    });
    const query = metricQuery(checked!, new Date(0), (raw) => raw as never);
    expect(query.rows).toEqual({
      filter: { and: [{ updatedAt: { gte: new Date(0).toISOString() } }, checked!.groupBy!.filter!.rows] },
    });
    const refused = (fields: Record<string, unknown>) =>
      checkAlertRule(model, { ...base, ...fields }).errors.map((e) => e.field);
    expect(refused({ group_filter: 'capacity_per_hour > line_code' })).toEqual(['groupFilter']);
    expect(refused({ group_filter: "nope == 'x'" })).toEqual(['groupFilter']);
    expect(refused({ group_by: null, group_filter: "status == 'ACTIVE'" })).toEqual(['groupFilter']);
  });

  it('checks the values of both filters as a list request filter on their entity', () => {
    const model = compileModel(validateMetadata([REPO_ROOT]).set, { version: 1 });
    const base = {
      rule_code: 'NCR_BURST',
      data_source: 'ncr',
      metric: 'count',
      operator: 'GT',
      threshold: '1',
      group_by: 'supplier',
    };
    const messages = (fields: Record<string, unknown>) =>
      checkAlertRule(model, { ...base, ...fields }).errors.map((e) => [e.field, e.message]);
    expect(messages({ condition_filter: "status == 'RUNNING'" })).toEqual([
      [
        'conditionFilter',
        `Alert rule 'NCR_BURST': conditionFilter 'status == 'RUNNING'': value "RUNNING" is refused: ` +
          'status must be one of OPEN, IN_PROGRESS, RESOLVED, CLOSED',
      ],
    ]);
    expect(messages({ condition_filter: "severity == 'HIGH' and affected_quantity > 'abc'" })).toEqual([
      [
        'conditionFilter',
        `Alert rule 'NCR_BURST': conditionFilter 'severity == 'HIGH' and affected_quantity > 'abc'': ` +
          'value "abc" is refused: affectedQuantity must be a number',
      ],
    ]);
    expect(messages({ group_filter: "status in ['ACTIVE', 'BLOCKED']" })).toEqual([
      [
        'groupFilter',
        expect.stringContaining('value ["ACTIVE","BLOCKED"] is refused: status must be one of'),
      ],
    ]);
    const valid = checkAlertRule(model, {
      ...base,
      condition_filter: "status == 'OPEN' and affected_quantity > 2",
      group_filter: "status == 'ACTIVE'",
    });
    expect(valid.errors).toEqual([]);
    expect(valid.checked!.condition.filter).not.toBeNull();
  });
});
