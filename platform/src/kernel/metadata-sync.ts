import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisClient } from '../ops/redis';

/** Redis channel every instance publishes its metadata changes on. */
export const METADATA_CHANNEL = 'mes:metadata:changed';

export interface MetadataChangeMessage {
  /** The publishing instance; it ignores its own messages. */
  instance: string;
  reason: string;
  /** Epoch ms when published (propagation latency). */
  at: number;
}

export interface MetadataSyncTarget {
  /** Called on this instance after it changed metadata. */
  onChange(listener: (reason: string) => void): () => void;
  /** Recomposes the Model from the shared registry tables without publishing again. */
  rebuild(reason: string, notify: boolean): Promise<unknown>;
}

/**
 * Cross-instance Model sync (docs/architecture.md §1): an instance that changed metadata publishes on
 * Redis; every other instance recomposes its Model from the registry tables they share. The message
 * carries no metadata, so a lost or reordered message is healed by the next one, and a subscriber that
 * reconnects after an outage recomposes once to catch up on what it missed.
 */
export class MetadataSync {
  readonly instance = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly unsubscribe: () => void;
  private readonly received = new Set<(message: MetadataChangeMessage) => void>();
  /** Settles on the subscriber's first connection attempt: subscribed, or Redis unreachable for now. */
  readonly firstAttempt: Promise<'subscribed' | 'unreachable'>;

  private constructor(
    redisUrl: string,
    private readonly target: MetadataSyncTarget,
    private readonly onError: (error: unknown) => void,
  ) {
    // Commands wait for Redis instead of failing: the server runs on while Redis is down.
    this.publisher = this.connect(redisUrl);
    this.subscriber = this.connect(redisUrl);
    this.unsubscribe = target.onChange((reason) => {
      const message: MetadataChangeMessage = { instance: this.instance, reason, at: Date.now() };
      this.publisher.publish(METADATA_CHANNEL, JSON.stringify(message)).catch(onError);
    });
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === METADATA_CHANNEL) this.handle(raw);
    });
    let connectedBefore = false;
    this.subscriber.on('ready', () => {
      if (connectedBefore) this.rebuild('resynced after a Redis reconnect');
      connectedBefore = true;
    });
    this.firstAttempt = new Promise((resolve) => {
      this.subscriber.once('error', () => resolve('unreachable'));
      this.subscriber.subscribe(METADATA_CHANNEL).then(() => resolve('subscribed'), onError);
    });
  }

  /**
   * Starts syncing; resolves once subscribed, or as soon as Redis proves unreachable (the sync keeps
   * retrying in the background and catches up when Redis answers).
   */
  static async start(
    redisUrl: string,
    target: MetadataSyncTarget,
    onError: (error: unknown) => void,
  ): Promise<MetadataSync> {
    const sync = new MetadataSync(redisUrl, target, onError);
    if ((await sync.firstAttempt) === 'unreachable')
      onError(new Error(`Redis at ${redisUrl} is unreachable; metadata changes sync once it answers`));
    return sync;
  }

  /** Observes applied messages from other instances (benchmarks measure propagation with it). */
  onApplied(listener: (message: MetadataChangeMessage) => void): () => void {
    this.received.add(listener);
    return () => this.received.delete(listener);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all([closeClient(this.subscriber), closeClient(this.publisher)]);
  }

  /** Reports a connection's first error after each time it was up, not every retry of an outage. */
  private connect(redisUrl: string): Redis {
    const client = redisClient(redisUrl, { maxRetriesPerRequest: null });
    let reported = false;
    client.on('ready', () => (reported = false));
    client.on('error', (error) => {
      if (reported) return;
      reported = true;
      this.onError(error);
    });
    return client;
  }

  private handle(raw: string): void {
    const message = JSON.parse(raw) as MetadataChangeMessage;
    if (message.instance === this.instance) return;
    this.rebuild(`synced: ${message.reason}`, message);
  }

  private rebuild(reason: string, message?: MetadataChangeMessage): void {
    this.target
      .rebuild(reason, false)
      .then(() => {
        if (message) for (const listener of this.received) listener(message);
      })
      .catch(this.onError);
  }
}

/** A connection that never came up has nothing to flush: drop it instead of waiting for it. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}
