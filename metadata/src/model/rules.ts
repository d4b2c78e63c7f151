import type { RuleAction, RuleDef } from '../types';

const RECORD_TRIGGERS = new Set(['created', 'updated', 'changed', 'transition']);
const SYNC_ACTIONS = new Set(['set', 'refuse']);

/** The one key naming what an action does (`record`, `values` and `reason` qualify it). */
export function actionKind(action: RuleAction): string {
  return Object.keys(action).find((key) => !['record', 'values', 'reason'].includes(key)) ?? '';
}

/**
 * Whether a rule runs inside the write: a record trigger, and only `set` and `refuse` on the record
 * itself (a `set` through `record:` changes another record, which runs after commit).
 */
export function isSynchronousRule(rule: RuleDef): boolean {
  return (
    RECORD_TRIGGERS.has(rule.trigger.on) &&
    !rule.measures &&
    rule.actions.every((action) => SYNC_ACTIONS.has(actionKind(action)) && !('record' in action))
  );
}
