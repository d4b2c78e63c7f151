/**
 * Scheduled jobs of plugins: every N ms or on a 5-field UTC cron expression (croner). Due times are the same
 * on every instance (intervals count from the epoch), and each due time runs once in the cluster: the
 * first instance to claim it in `evt_processed` runs it. A run still going on when the next is due
 * skips that turn, in this process and, on MySQL/MariaDB, across instances (a named server lock per
 * job), so a job never overlaps itself.
 */
import { nextCronTime, parseCron as parseCronExpression, type CronExpression } from '../jobs/cron';
import type { JobLocks } from './job-lock-store';

/** The longest a setTimeout may wait; later times are reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
export const MIN_INTERVAL_MS = 1000;

/** Plugin cron expressions: 5 fields, UTC (croner). Throws naming the bad field. */
export function parseCron(expression: string): CronExpression {
  return parseCronExpression(expression, { timezone: 'UTC' });
}

export { nextCronTime };
export type { CronExpression };

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
