/**
 * Rule evaluation without a database: which changes start a rule, which rules run inside the write,
 * the values and texts rules produce, and the chain limits that keep rules from looping.
 */
import { parseExpression } from '../../../metadata/src/expression';
import { compileModel } from '../../../metadata/src/model';
import { isSynchronousRule } from '../../../metadata/src/model/rules';
import type { RuleDef } from '../../../metadata/src/types';
import { validateMetadata } from '../../../metadata/src/validator';
import {
  chainLink,
  chainProblem,
  MAX_RULE_DEPTH,
  triggerMatches,
} from '../../../platform/src/rules/register-rule-hooks';
import { durationMs, ruleCatalog } from '../../../platform/src/rules/rule-catalog';
import { fillTemplate, holds, resolveValues } from '../../../platform/src/rules/rule-record';
import { REPO_ROOT } from '../../fixtures/generators/fixture-project';

const rule = (trigger: RuleDef['trigger'], actions: RuleDef['actions'] = [{ set: { a: 1 } }]): RuleDef => ({
  rule: 'r',
  label: { en: 'R', zh: 'R' },
  module: 'm',
  entity: 'ncr',
  trigger,
  actions,
});

describe('triggers', () => {
  const created = { action: 'create' as const, previous: null, record: { status: 'OPEN', severity: 'LOW' } };
  const updated = {
    action: 'update' as const,
    previous: { status: 'OPEN', severity: 'LOW' },
    record: { status: 'OPEN', severity: 'CRITICAL' },
  };
  const transition = {
    action: 'transition' as const,
    previous: { status: 'OPEN' },
    record: { status: 'IN_PROGRESS' },
    transition: {
      workflow: 'w',
      action: 'start',
      from: 'OPEN',
      to: 'IN_PROGRESS',
      reason: null,
      events: [],
      eventPayload: {},
      eventData: {},
    },
  };

  it('matches created, updated (of given fields) and transitions (by action and state)', () => {
    expect(triggerMatches(rule({ on: 'created' }), created)).toBe(true);
    expect(triggerMatches(rule({ on: 'created' }), updated)).toBe(false);
    expect(triggerMatches(rule({ on: 'updated', fields: ['severity'] }), updated)).toBe(true);
    expect(triggerMatches(rule({ on: 'updated', fields: ['status'] }), updated)).toBe(false);
    expect(triggerMatches(rule({ on: 'transition', action: 'start' }), transition)).toBe(true);
    expect(triggerMatches(rule({ on: 'transition', to: 'CLOSED' }), transition)).toBe(false);
    expect(triggerMatches(rule({ on: 'transition' }), updated)).toBe(false);
  });

  it('matches a field changed from and to values, on create and update alike', () => {
    expect(triggerMatches(rule({ on: 'changed', field: 'severity', to: 'CRITICAL' }), updated)).toBe(true);
    expect(
      triggerMatches(rule({ on: 'changed', field: 'severity', from: 'HIGH', to: 'CRITICAL' }), updated),
    ).toBe(false);
    expect(triggerMatches(rule({ on: 'changed', field: 'severity', from: null }), created)).toBe(true);
    expect(triggerMatches(rule({ on: 'changed', field: 'status' }), updated)).toBe(false);
  });

  it('runs only set and refuse on the record itself inside the write', () => {
    expect(
      isSynchronousRule(rule({ on: 'created' }, [{ set: { a: 1 } }, { refuse: { en: 'x', zh: 'x' } }])),
    ).toBe(true);
    expect(isSynchronousRule(rule({ on: 'created' }, [{ set: { a: 1 }, record: 'supplier' }]))).toBe(false);
    expect(isSynchronousRule(rule({ on: 'created' }, [{ transition: 'hold' }]))).toBe(false);
    expect(isSynchronousRule(rule({ on: 'schedule', cron: '* * * * *' }))).toBe(false);
    expect(isSynchronousRule(rule({ on: 'timer', state: 'OPEN', after: { hours: 2 } }))).toBe(false);
  });
});

describe('values and texts', () => {
  const record = {
    severity: 'HIGH',
    supplier: { id: 7, ncr_count: 2, quality_rating: '4.80' },
    ncr_no: 'NCR-1',
  };
  const context = { record, actorId: '12', now: new Date('2026-12-06T10:00:00Z') };

  it('resolves literals, variables and expressions reading through relations', () => {
    expect(
      resolveValues(
        {
          count: '=supplier.ncr_count + 1',
          rating: "=supplier.quality_rating - if(severity == 'HIGH', 0.5, 0.2)",
          due: "=addDays('2026-12-06', 3)",
          by: '$user',
          at: '$now',
          day: '$today',
          note: 'literal',
          owner: '=supplier',
        },
        context,
      ),
    ).toEqual({
      count: 3,
      rating: 4.3,
      due: '2026-12-09',
      by: 12,
      at: '2026-12-06T10:00:00.000Z',
      day: '2026-12-06',
      note: 'literal',
      owner: 7,
    });
  });

  it('fills placeholders in both languages and evaluates conditions with measures', () => {
    expect(fillTemplate({ en: '{ncr_no} from {supplier.id}', zh: '{ncr_no}（{missing}）' }, record)).toEqual({
      en: 'NCR-1 from 7',
      zh: 'NCR-1（）',
    });
    expect(holds(parseExpression('rate > 0.2 and severity == "HIGH"'), { ...record, rate: 0.33 })).toBe(true);
    expect(holds(parseExpression('rate > 0.2'), { rate: 0.2 })).toBe(false);
    expect(holds(null, {})).toBe(true);
    expect(durationMs({ hours: 2, minutes: 30 })).toBe(9_000_000);
  });
});

describe('loop safety', () => {
  it('cuts a chain that comes back to a rule on the same record, and one too deep', () => {
    const first = chainLink('a', 'ncr', 1);
    expect(chainProblem([], first)).toBeNull();
    expect(chainProblem([first, chainLink('b', 'supplier_master', 7)], first)).toBe(
      'rule cycle: a:ncr:1 → b:supplier_master:7 → a:ncr:1',
    );
    // The same rule on another record is no cycle.
    expect(chainProblem([first], chainLink('a', 'ncr', 2))).toBeNull();
    const deep = Array.from({ length: MAX_RULE_DEPTH }, (_, i) => chainLink(`r${i}`, 'ncr', i));
    expect(chainProblem(deep, chainLink('next', 'ncr', 99))).toMatch(/^rule chain deeper than 8: /);
  });
});

describe('what a run reads of its record', () => {
  const model = compileModel(validateMetadata([REPO_ROOT]).set, { version: 1 });
  const columns = (def: RuleDef) =>
    ruleCatalog({ ...model, rules: new Map([[def.rule, def]]) }).byName.get(def.rule)!.columns;

  it('reads the columns its condition, values, texts and target name, and the id', () => {
    const scored = rule({ on: 'created' }, [
      { set: { ncr_count: '=coalesce(supplier.ncr_count, 0) + 1' }, record: 'supplier' },
      {
        notify: {
          users: ['assignee'],
          title: { en: 'NCR {ncr_no}: {title}', zh: 'NCR {ncr_no}' },
          body: { en: 'Due {due_date}', zh: '截止 {due_date}' },
        },
      },
    ]);
    expect(columns({ ...scored, when: "severity == 'HIGH' && created_at != null" })?.sort()).toEqual(
      ['assignee_id', 'created_at', 'due_date', 'id', 'ncr_no', 'severity', 'supplier_id', 'title'].sort(),
    );
  });

  it('reads the whole record for a webhook, which sends it, and for a field not stored in a column', () => {
    expect(columns(rule({ on: 'created' }, [{ webhook: 'https://example.com/hook' }]))).toBeNull();
    expect(columns({ ...rule({ on: 'created' }), when: 'affected_lots != null' })).toBeNull();
  });
});
