/**
 * A test run of a rule against a chosen record: the rule's condition and measures are evaluated in a
 * transaction that is rolled back, and each action is planned (what it would write, notify or send)
 * instead of applied. Used by the automation API for the served rules and by the Metadata Studio for
 * the rules of a draft (evaluated against the draft's Model).
 */
import type { Model } from '../../../metadata/src/model';
import type { RuleTestRun as TestRun } from '../contracts/automation';
import { BadRequestError } from '../crud/errors';
import type { EntityOperations } from '../crud/types';
import type { SecureContext } from '../security/principal';
import type { CompiledRule } from './rule-catalog';
import type { RuleRunner } from './rule-runner';

export type { TestRun };

/** `recordId` of a test request: a positive integer, required unless the rule runs on a schedule. */
export function testRecordId(rule: CompiledRule, raw: unknown): number | null {
  const recordId = raw === undefined || raw === null || raw === '' ? null : Number(raw);
  if (recordId !== null && (!Number.isInteger(recordId) || recordId < 1))
    throw new BadRequestError('recordId must be a positive integer', {
      errors: [
        {
          field: 'recordId',
          path: '/recordId',
          rule: 'type',
          message: 'recordId must be a positive integer',
        },
      ],
    });
  if (recordId === null && rule.def.trigger.on !== 'schedule')
    throw new BadRequestError('recordId is required for a rule on records', {
      errors: [{ field: 'recordId', path: '/recordId', rule: 'required', message: 'recordId is required' }],
    });
  return recordId;
}

/**
 * Evaluates `rule` against the record as the caller sees it (they must be able to read it, with the
 * served Model) and lists what each action would do; `model` is the Model the rule belongs to (a
 * draft's, in the studio). Nothing is written.
 */
export async function testRule(
  deps: { runner: RuleRunner; operations: EntityOperations },
  ctx: SecureContext,
  rule: CompiledRule,
  recordId: number | null,
  model: Model = ctx.model,
): Promise<TestRun> {
  if (recordId !== null) await deps.operations.get(rule.def.entity, recordId, ctx);
  const engine = { ...ctx, model, access: undefined };
  const evaluation = await deps.runner.readOnly((tx) =>
    deps.runner.evaluate(tx, rule, engine, recordId, null),
  );
  return {
    rule: rule.def.rule,
    recordId,
    synchronous: rule.synchronous,
    holds: evaluation.holds,
    measures: evaluation.measures,
    actions: evaluation.holds
      ? rule.def.actions.map((action) =>
          deps.runner.plan(rule, action, engine, { recordId }, evaluation.record ?? {}),
        )
      : [],
  };
}
