/**
 * The live channel: server code publishes small messages to topics (one user, one role, a whole
 * tenant) and every open `GET /api/live` stream of a matching principal receives them. With Redis
 * the messages go through one pub/sub channel, so a publish on any instance reaches the streams of
 * every instance; without it they stay in this process.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { redisClient } from '../ops/redis';

/**
 * Who a message is for: every user of a tenant, the users holding a role, or one user; or the
 * server's own instances (`system`: never reaches a user's stream, e.g. wake-ups of rule runners).
 */
export type LiveAudience =
  | { tenantId: string; kind: 'tenant' }
  | { tenantId: string; kind: 'role'; role: string }
  | { tenantId: string; kind: 'user'; userId: string }
  | { kind: 'system'; topic: string };

export interface LiveMessage {
  /** The SSE event name, `<area>.<what>` (`notification.created`, `dashboard.changed`). */
  event: string;
  data: unknown;
}

/** The topic key of an audience; a stream listens to its user's, its roles' and its tenant's keys. */
export function liveTopic(audience: LiveAudience): string {
  switch (audience.kind) {
    case 'tenant':
      return `tenant:${audience.tenantId}`;
    case 'role':
      return `role:${audience.tenantId}:${audience.role}`;
    case 'user':
      return `user:${audience.tenantId}:${audience.userId}`;
    case 'system':
      return `system:${audience.topic}`;
  }
}

export type LiveListener = (message: LiveMessage) => void;

export interface LiveChannel {
  /** Delivers the message to every stream listening to the audience's topic, on every instance. */
  publish(audience: LiveAudience, message: LiveMessage): Promise<void>;
  /** Listens to the topics until the returned function is called. */
  subscribe(topics: readonly string[], listener: LiveListener): () => void;
  close(): Promise<void>;
}

/** Local fan-out of messages by topic; both transports deliver through it. */
class TopicListeners {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open stream and topic: the count is the number of connected users, not a leak.
    this.emitter.setMaxListeners(0);
  }

  subscribe(topics: readonly string[], listener: LiveListener): () => void {
    for (const topic of topics) this.emitter.on(topic, listener);
    return () => {
      for (const topic of topics) this.emitter.off(topic, listener);
    };
  }

  deliver(topic: string, message: LiveMessage): void {
    this.emitter.emit(topic, message);
  }
}

export class InProcessLiveChannel implements LiveChannel {
  private readonly listeners = new TopicListeners();

  publish(audience: LiveAudience, message: LiveMessage): Promise<void> {
    this.listeners.deliver(liveTopic(audience), message);
    return Promise.resolve();
  }

  subscribe(topics: readonly string[], listener: LiveListener): () => void {
    return this.listeners.subscribe(topics, listener);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface WireMessage extends LiveMessage {
  topic: string;
}

/**
 * Redis pub/sub on one channel per deployment (`<prefix>:live`); each instance delivers what it
 * receives to its own streams, its own publishes included. A message published while Redis is down
 * is lost, as a live refresh may be: the state it announces is in the database.
 */
export class RedisLiveChannel implements LiveChannel {
  private readonly listeners = new TopicListeners();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly subscribed: Promise<unknown>;

  constructor(redisUrl: string, prefix: string, onError: (error: unknown) => void) {
    this.channel = `${prefix}:live`;
    this.publisher = redisClient(redisUrl, { maxRetriesPerRequest: 1 });
    this.subscriber = redisClient(redisUrl, { maxRetriesPerRequest: null });
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      try {
        const { topic, event, data } = JSON.parse(raw) as WireMessage;
        this.listeners.deliver(topic, { event, data });
      } catch (error) {
        onError(error);
      }
    });
    this.subscribed = this.subscriber.subscribe(this.channel).catch(onError);
  }

  /** Resolves once this instance listens to the channel (messages published before are not seen). */
  ready(): Promise<void> {
    return this.subscribed.then(() => undefined);
  }

  async publish(audience: LiveAudience, message: LiveMessage): Promise<void> {
    const wire: WireMessage = { topic: liveTopic(audience), event: message.event, data: message.data };
    await this.publisher.publish(this.channel, JSON.stringify(wire));
  }

  subscribe(topics: readonly string[], listener: LiveListener): () => void {
    return this.listeners.subscribe(topics, listener);
  }

  async close(): Promise<void> {
    // QUIT waits for a connection; a client that never reached Redis is dropped instead.
    const end = (client: Redis) => (client.status === 'ready' ? client.quit() : client.disconnect());
    await Promise.allSettled([end(this.subscriber), end(this.publisher)]);
  }
}

/** Redis pub/sub when a Redis URL is configured, this process only otherwise. */
export function createLiveChannel(
  redisUrl: string | null,
  prefix: string,
  onError: (error: unknown) => void,
): LiveChannel {
  return redisUrl ? new RedisLiveChannel(redisUrl, prefix, onError) : new InProcessLiveChannel();
}
