/**
 * The server's side of the transactional events: an outbox relay that, without Redis, dispatches
 * committed events to the consumers in this process and, with REDIS_URL, publishes them to BullMQ,
 * where a worker in this process (or `mes worker` when EVENT_CONSUMERS=worker or MES_ROLE=api)
 * consumes them. An API-only process without Redis relays nothing: the worker's relay polls the
 * outbox and delivers in its own process.
 */
import type { Logger } from 'pino';
import type { Model } from '../../../metadata/src/model';
import { rollupConsumer } from '../bi/rollup-consumer';
import type { EngineDatabase } from '../data/database';
import type * as BullMqTransport from '../events/bullmq-transport';
import type { EventConsumer } from '../events/consumer';
import { OutboxRelay } from '../events/outbox-relay';
import { InProcessPublisher, type EventPublisher } from '../events/publisher';
import { WebhookTargetPolicy } from '../events/webhook-targets';
import { webhookConsumer } from '../events/webhooks';

export interface EventRuntime {
  /** The consumers events are delivered to in this process; plugins add and remove theirs at runtime. */
  consumers: EventConsumer[];
  /** Wakes the relay right after a commit that wrote events. */
  notify(): void;
  /** Finishes the batch in flight, then closes the transport; idempotent. */
  stop(): Promise<void>;
}

export function startEventRuntime(
  db: EngineDatabase,
  redisUrl: string | null,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  model: () => Model,
  /** False in an API-only process: consumers run in `mes worker`. */
  consumeHere = true,
): EventRuntime {
  const consumers: EventConsumer[] = [
    webhookConsumer({ targets: WebhookTargetPolicy.fromEnv(env) }),
    rollupConsumer(model),
  ];
  const onError = (error: unknown) => logger.error({ err: error }, 'event delivery failed');
  const settings = redisUrl ? { redisUrl, prefix: env.QUEUE_PREFIX?.trim() || 'mes' } : null;
  const consumes = consumeHere && consumersRunHere(env);
  const transport = settings ? bullMqTransport() : null;
  const worker =
    settings && transport && consumes
      ? new transport.EventWorker(db, consumers, settings, { onError })
      : null;
  const publisher: EventPublisher | null =
    settings && transport
      ? new transport.BullMqPublisher(settings, onError)
      : consumes
        ? new InProcessPublisher(db, consumers)
        : null;
  const relay = publisher ? new OutboxRelay(db, publisher, { onError }) : null;
  // Not awaited: an unreachable Redis must not stop the server from starting (readiness reports it);
  // BullMQ connects and starts consuming when Redis comes up.
  worker?.ready().catch(onError);
  relay?.start();
  logger.info(
    {
      transport: settings ? 'bullmq' : 'in-process',
      relay: relay ? 'here' : 'mes worker',
      consumers: worker || (!settings && consumes) ? consumers.map((c) => c.name) : 'mes worker',
    },
    'event relay started',
  );
  let stopping: Promise<void> | null = null;
  return {
    consumers,
    notify: () => relay?.notify(),
    stop: () => {
      stopping ??= (async () => {
        await relay?.stop();
        // Closing a Redis connection that never came up rejects; shutdown goes on regardless.
        await publisher?.close().catch(onError);
        await worker?.close().catch(onError);
      })();
      return stopping;
    },
  };
}

/** BullMQ and ioredis (about 28 MB resident) are loaded only when events go through Redis. */
function bullMqTransport(): typeof BullMqTransport {
  return require('../events/bullmq-transport') as typeof BullMqTransport;
}

/** EVENT_CONSUMERS=worker leaves BullMQ consumption to `mes worker`; default: this process consumes. */
function consumersRunHere(env: NodeJS.ProcessEnv): boolean {
  const mode = env.EVENT_CONSUMERS?.trim() || 'in-process';
  if (mode !== 'in-process' && mode !== 'worker')
    throw new Error(`EVENT_CONSUMERS must be in-process or worker; got '${env.EVENT_CONSUMERS}'`);
  return mode === 'in-process';
}
