import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The job names alert-rule checks and escalations were queued under before evaluators were declared. */
const RENAMED: readonly (readonly [before: string, after: string])[] = [
  ['alert_rules', 'evaluate:alert_rule'],
  ['alert_rule_escalation', 'escalate:alert_rule'],
];

/**
 * Hand-written: alert-rule checks and escalation timers are now named after the entity that
 * declares `evaluatedBy` (`evaluate:<entity>`, `escalate:<entity>`). Jobs still waiting under the
 * old names are renamed, so a pending escalation of an open alert still fires after the upgrade;
 * finished jobs keep the name they ran under.
 */
export class EvaluatorJobNames1796600000300 implements MigrationInterface {
  name = 'EvaluatorJobNames1796600000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [before, after] of RENAMED)
      await queryRunner.query(
        `UPDATE auto_job SET rule = ? WHERE rule = ? AND status IN ('PENDING', 'RUNNING')`,
        [after, before],
      );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [before, after] of RENAMED)
      await queryRunner.query(
        `UPDATE auto_job SET rule = ? WHERE rule = ? AND status IN ('PENDING', 'RUNNING')`,
        [before, after],
      );
  }
}
