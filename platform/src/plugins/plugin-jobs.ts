/**
 * Scheduled jobs of plugins: every N ms or on a 5-field UTC cron expression. Due times are the same
 * on every instance (intervals count from the epoch), and each due time runs once in the cluster: the
 * first instance to claim it in `evt_processed` runs it. A run still going on when the next is due
 * skips that turn, in this process and, on MySQL/MariaDB, across instances (a named server lock per
 * job), so a job never overlaps itself.
 */
import type { JobLocks } from './job-lock-store';

/** A cron field's allowed values: minute, hour, day of month, month, day of week (0 = Sunday). */
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** The longest a setTimeout may wait; later times are reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** Cron expressions are searched up to this far ahead (a Feb 29 needs four years). */
const CRON_HORIZON_MINUTES = 5 * 366 * 24 * 60;
export const MIN_INTERVAL_MS = 1000;

export interface CronExpression {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day of month and day of week both restricted: either matches (cron's rule). */
  dayEither: boolean;
}

/** Parses `m h dom mon dow` with `*`, lists, ranges and steps; throws naming the bad field. */
export function parseCron(expression: string): CronExpression {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`cron '${expression}' must have 5 fields (minute hour day-of-month month day-of-week)`);
  const sets = parts.map((part, index) => parseField(part, CRON_FIELDS[index], expression));
  const weekdays = new Set([...sets[4]].map((day) => day % 7));
  return {
    minutes: sets[0],
    hours: sets[1],
    days: sets[2],
    months: sets[3],
    weekdays,
    dayEither: parts[2] !== '*' && parts[4] !== '*',
  };
}

/** The first minute strictly after `after` the expression matches (UTC). */
export function nextCronTime(cron: CronExpression, after: Date): Date {
  const time = new Date(after.getTime());
  time.setUTCSeconds(0, 0);
  for (let step = 0; step < CRON_HORIZON_MINUTES; step++) {
    time.setUTCMinutes(time.getUTCMinutes() + 1);
    if (!cron.minutes.has(time.getUTCMinutes()) || !cron.hours.has(time.getUTCHours())) continue;
    if (!cron.months.has(time.getUTCMonth() + 1)) continue;
    const dayOfMonth = cron.days.has(time.getUTCDate());
    const dayOfWeek = cron.weekdays.has(time.getUTCDay());
    if (cron.dayEither ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek) return new Date(time);
  }
  throw new Error('cron expression never matches');
}

function parseField(part: string, field: (typeof CRON_FIELDS)[number], expression: string): Set<number> {
  const values = new Set<number>();
  const bad = () => new Error(`cron '${expression}': bad ${field.name} '${part}'`);
  for (const item of part.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw bad();
    const from = match[1] === '*' ? field.min : Number(match[2]);
    const to =
      match[1] === '*' ? field.max : match[3] !== undefined ? Number(match[3]) : match[4] ? field.max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < field.min || to > field.max || from > to || step < 1) throw bad();
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export interface JobRunner {
  plugin: string;
  name: string;
  everyMs?: number;
  cron?: CronExpression;
  runOnStart: boolean;
  /** One run; the signal is aborted when the job is stopped. */
  run(scheduledAt: Date, signal: AbortSignal): Promise<void>;
  /** A run failed (already counted as the plugin's fault by `run`); for the log. */
  onError(error: unknown): void;
}

/** Runs one job on its schedule until stopped. */
export class ScheduledJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly job: JobRunner,
    private readonly locks: JobLocks,
  ) {}

  start(): void {
    // The run on start counts as the current period's (minute's, for cron), claimed like any other.
    const period = this.job.everyMs ?? 60_000;
    if (this.job.runOnStart) this.fire(new Date(Math.floor(Date.now() / period) * period));
    this.arm(new Date());
  }

  /** No further runs; a run going on sees its signal aborted and is awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private arm(from: Date): void {
    if (this.stopped) return;
    const every = this.job.everyMs ?? MIN_INTERVAL_MS;
    const due = this.job.cron
      ? nextCronTime(this.job.cron, from)
      : new Date((Math.floor(from.getTime() / every) + 1) * every);
    const wait = Math.max(0, due.getTime() - Date.now());
    this.timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) return this.arm(from);
        this.fire(due);
        this.arm(due);
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    // A pending job never keeps the process alive.
    this.timer.unref();
  }

  private fire(scheduledAt: Date): void {
    if (this.running || this.stopped) return;
    this.running = this.locks
      .runOnce(`${this.job.plugin}:${this.job.name}`, scheduledAt, () =>
        this.job.run(scheduledAt, this.abort.signal),
      )
      .catch((error: unknown) => this.job.onError(error))
      .finally(() => {
        this.running = null;
      });
  }
}
