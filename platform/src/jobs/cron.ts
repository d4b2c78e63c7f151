/**
 * Cron expressions through croner: 5 fields (minute hour day-of-month month day-of-week) or, where
 * allowed, 6 with seconds first. Day of month and day of week both restricted match either (cron's
 * rule). A malformed expression is refused with a message naming the field that is wrong.
 */
import { Cron } from 'croner';

const FIELDS_5 = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const FIELDS_6 = ['second', ...FIELDS_5];

export interface CronOptions {
  /** IANA time zone the expression is read in; default UTC. */
  timezone?: string;
  /** Whether a 6-field expression (seconds first) is accepted. */
  seconds?: boolean;
}

/** A parsed, paused croner schedule (never fires by itself; ask it for occurrences). */
export type CronExpression = Cron;

/** Whether the time zone is a valid IANA name. */
export function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses the expression; throws `cron '<expr>': bad <field> '<part>'` or a field-count message. */
export function parseCron(expression: string, options: CronOptions = {}): CronExpression {
  const parts = expression.trim().split(/\s+/);
  const names = parts.length === 6 && options.seconds ? FIELDS_6 : FIELDS_5;
  if (parts.length !== names.length)
    throw new Error(
      options.seconds
        ? `cron '${expression}' must have 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first`
        : `cron '${expression}' must have 5 fields (minute hour day-of-month month day-of-week)`,
    );
  const timezone = options.timezone ?? 'UTC';
  if (!validTimeZone(timezone)) throw new Error(`time zone '${timezone}' is not a known IANA zone`);
  // Each field alone (the others '*'), so the error names the field croner refused.
  parts.forEach((part, index) => {
    const alone = parts.map((other, i) => (i === index ? other : '*')).join(' ');
    try {
      new Cron(alone, { paused: true, timezone });
    } catch (error) {
      throw new Error(`cron '${expression}': bad ${names[index]} '${part}'`, { cause: error });
    }
  });
  try {
    return new Cron(parts.join(' '), { paused: true, timezone });
  } catch (error) {
    throw new Error(`cron '${expression}': ${(error as Error).message}`, { cause: error });
  }
}

/** The first occurrence strictly after `after`; throws when the expression never matches again. */
export function nextCronTime(cron: CronExpression, after: Date): Date {
  const next = cron.nextRun(after);
  if (!next) throw new Error('cron expression never matches');
  return next;
}
