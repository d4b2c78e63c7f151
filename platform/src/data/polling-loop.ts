/**
 * Runs `round` over and over in the background: again at once while it reports more work, otherwise
 * after `idleDelayMs` or `batchWindowMs` after notify() says there is new work. The window lets the
 * commits of a busy server share one round (a few statements) instead of each paying for its own.
 * Errors go to `onError`; the loop keeps going. The outbox relay and the audit sealer are such loops.
 */
export class PollingLoop {
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private notified: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** One round of work; resolves true when more is waiting. */
    private readonly round: () => Promise<boolean>,
    private readonly idleDelayMs: number,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly batchWindowMs = 0,
  ) {}

  /** Starts the rounds: the first at once, or after an idle delay when the caller has just done one. */
  start(firstAfterIdle = false): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop(firstAfterIdle);
  }

  /** Finishes the round in flight and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  /** Wakes an idle loop within the batch window, e.g. right after a commit that left work for it. */
  notify(): void {
    const wake = this.wake;
    if (!wake || this.notified) return;
    if (this.batchWindowMs <= 0) wake();
    else this.notified = setTimeout(wake, this.batchWindowMs);
  }

  private async loop(firstAfterIdle: boolean): Promise<void> {
    if (firstAfterIdle) await this.idle();
    while (!this.stopping) {
      let more = false;
      try {
        more = await this.round();
      } catch (error) {
        this.onError(error);
      }
      if (!more && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.notified) clearTimeout(this.notified);
        this.notified = null;
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, this.idleDelayMs);
      this.wake = done;
    });
  }
}
