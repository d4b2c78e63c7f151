import type { EventEnvelope } from './envelope';

interface Waiting {
  event: EventEnvelope;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Events handled in one consumer transaction at most. */
export const MAX_EVENTS_PER_BATCH = 200;

/**
 * Gathers events that arrive while a batch is being handled (a worker's concurrent jobs) into the
 * next batch, so consumers commit once per batch instead of once per event; each caller still
 * learns its own event's outcome.
 */
export class MicroBatcher {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(
    private readonly handle: (events: EventEnvelope[]) => Promise<Map<string, unknown>>,
    private readonly maxBatch = MAX_EVENTS_PER_BATCH,
  ) {}

  submit(event: EventEnvelope): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const failed = await this.handle(batch.map((entry) => entry.event));
          for (const entry of batch) {
            if (failed.has(entry.event.id)) entry.reject(failed.get(entry.event.id));
            else entry.resolve();
          }
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
