/**
 * Evaluators the engine provides for records kept as data (`evaluatedBy` on an entity), and the
 * fields each one reads: an entity declaring an evaluator must have them, of these types (checked by
 * `mes validate`).
 */
import type { EvaluatorName, FieldType } from './types';

export interface EvaluatorContract {
  /** Field name → the types it may have. */
  fields: Record<string, readonly FieldType[]>;
  /** The entity the evaluator writes, which must hold a relation to the evaluated entity. */
  writes: string;
}

const TEXT: readonly FieldType[] = ['string', 'text'];
const CHOICE: readonly FieldType[] = ['enum', 'string'];

export const EVALUATORS: Record<EvaluatorName, EvaluatorContract> = {
  /**
   * A metric over the rows of an entity changed within a window, compared with a threshold on a
   * schedule; raises, counts, escalates and resolves `alert_event` records.
   */
  thresholdAlert: {
    writes: 'alert_event',
    fields: {
      rule_code: TEXT,
      rule_name: TEXT,
      rule_type: CHOICE,
      severity: CHOICE,
      data_source: TEXT,
      metric: TEXT,
      condition_filter: TEXT,
      operator: CHOICE,
      threshold: ['string', 'integer', 'decimal'],
      window_minutes: ['integer'],
      check_interval_seconds: ['integer'],
      group_by: TEXT,
      group_filter: TEXT,
      channels: ['json'],
      recipients: ['json'],
      escalation: ['json'],
      auto_resolve: ['boolean'],
      enabled: ['boolean'],
    },
  },
};
