import { Queue } from 'bullmq';
import type { SqlExecutor } from '../../../platform/src/data/database';
import {
  BullMqPublisher,
  DEAD_LETTER_QUEUE,
  EVENT_JOB_OPTIONS,
  EVENTS_QUEUE,
  EventWorker,
  sliceJobId,
  type BullMqSettings,
  type DeadLetter,
} from '../../../platform/src/events/bullmq-transport';
import type { EventConsumer } from '../../../platform/src/events/consumer';
import { createEnvelope, type EventEnvelope } from '../../../platform/src/events/envelope';
import { writeOutbox } from '../../../platform/src/events/outbox';
import { coreModel } from '../../fixtures/security/core-model';
import { OutboxRelay } from '../../../platform/src/events/outbox-relay';
import { openPlatformDatabase, type TestDatabase } from '../../support/platform-database';
import { waitFor } from '../../support/wait-for';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const settings: BullMqSettings = { redisUrl: REDIS_URL, prefix: `mes-test-${process.pid}-${Date.now()}` };

const recorder: EventConsumer = {
  name: 'test-recorder',
  types: ['*'],
  async handle(event: EventEnvelope, tx: SqlExecutor) {
    if (event.type === 'poison.event') throw new Error('cannot digest this');
    await tx.execute('INSERT INTO effect (event_id) VALUES (?)', [event.id]);
  },
};

async function count(db: TestDatabase, sql: string): Promise<number> {
  const rows: { n: number | string }[] = await db.dataSource.query(sql);
  return Number(rows[0]?.n ?? 0);
}

describe('outbox relay through BullMQ on MariaDB + Redis', () => {
  let db: TestDatabase;
  let worker: EventWorker;

  beforeAll(async () => {
    db = await openPlatformDatabase('mysql', 'bullmq');
    await db.dataSource.query('CREATE TABLE effect (event_id VARCHAR(40) NOT NULL)');
    worker = new EventWorker(db.db, [recorder], settings, { concurrency: 10 });
    await worker.ready();
  });
  afterAll(async () => {
    await worker.close();
    for (const name of [EVENTS_QUEUE, DEAD_LETTER_QUEUE]) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: settings.prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await db.drop();
  });

  it('delivers every event exactly once across a relay stopped mid-run and a redelivery', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      createEnvelope({ type: 'work_order.completed', tenant: 't1', entity: 'work_order', entityId: i }),
    );
    for (let i = 0; i < events.length; i += 50) {
      await db.db.transaction((tx) => writeOutbox(tx, coreModel(), events.slice(i, i + 50)));
    }

    const killedPublisher = new BullMqPublisher(settings);
    const first = new OutboxRelay(db.db, killedPublisher, { batchSize: 40 });
    expect(await first.relayOnce()).toBe(40);
    await first.stop();
    await killedPublisher.close();
    expect(await count(db, 'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL')).toBe(260);

    const publisher = new BullMqPublisher(settings);
    const second = new OutboxRelay(db.db, publisher, { batchSize: 40, idleDelayMs: 10 });
    second.start();
    await waitFor(
      '300 consumed events',
      async () => (await count(db, 'SELECT COUNT(*) AS n FROM effect')) === 300,
    );
    await second.stop();

    // Redeliver 20 events under fresh job ids, as a broker might after a lost acknowledgement.
    const producer = new Queue<EventEnvelope[]>(EVENTS_QUEUE, {
      connection: { url: REDIS_URL },
      prefix: settings.prefix,
    });
    await producer.addBulk(
      events
        .slice(0, 20)
        .map((event) => ({ name: event.type, data: [event], opts: { jobId: `again-${event.id}` } })),
    );
    await waitFor('redeliveries drained', async () => {
      const { wait, active } = await producer.getJobCounts('wait', 'active');
      return wait + active === 0;
    });
    await producer.close();
    await publisher.close();

    expect(await count(db, 'SELECT COUNT(*) AS n FROM effect')).toBe(300);
    expect(await count(db, 'SELECT COUNT(DISTINCT event_id) AS n FROM effect')).toBe(300);
    expect(await count(db, "SELECT COUNT(*) AS n FROM evt_processed WHERE consumer = 'test-recorder'")).toBe(
      300,
    );
  });

  it('delivers the events behind a republished first event when a relay died between publishing and marking', async () => {
    await db.dataSource.query('DELETE FROM evt_outbox');
    await db.dataSource.query('DELETE FROM effect');
    const write = async (count: number) => {
      const events = Array.from({ length: count }, (_, i) =>
        createEnvelope({ type: 'work_order.released', tenant: 't1', entity: 'work_order', entityId: i }),
      );
      await db.db.transaction((tx) => writeOutbox(tx, coreModel(), events));
      return events;
    };
    const before = await write(10);
    // The dying relay's jobs reach Redis, then its process ends before its batch is marked published.
    const queued = new BullMqPublisher(settings);
    const dying = new OutboxRelay(db.db, {
      publish: async (events) => {
        await queued.publish(events);
        throw new Error('killed before the commit');
      },
      close: async () => undefined,
    });
    await expect(dying.relayOnce()).rejects.toThrow('killed before the commit');
    await queued.close();
    const after = await write(10);
    await waitFor(
      'the first ten consumed',
      async () => (await count(db, 'SELECT COUNT(*) AS n FROM effect')) === 10,
    );

    const publisher = new BullMqPublisher(settings);
    const next = new OutboxRelay(db.db, publisher);
    expect(await next.relayOnce()).toBe(20);
    await waitFor(
      'all twenty consumed',
      async () => (await count(db, 'SELECT COUNT(*) AS n FROM effect')) === 20,
    );
    expect(await count(db, 'SELECT COUNT(DISTINCT event_id) AS n FROM effect')).toBe(20);
    const consumed = (await db.dataSource.query('SELECT event_id FROM effect')) as { event_id: string }[];
    expect(consumed.map((row) => row.event_id).sort()).toEqual([...before, ...after].map((e) => e.id).sort());
    await publisher.close();
  });

  it('retries a job with a failing event three times with exponential backoff, then dead-letters it', async () => {
    const poison = createEnvelope({ type: 'poison.event', tenant: 't1' });
    const healthy = createEnvelope({ type: 'work_order.completed', tenant: 't1' });
    const publisher = new BullMqPublisher(settings);
    await publisher.publish([poison, healthy]);
    const deadLetters = new Queue<DeadLetter>(DEAD_LETTER_QUEUE, {
      connection: { url: REDIS_URL },
      prefix: settings.prefix,
    });
    const jobId = sliceJobId([poison, healthy]);
    await waitFor('the dead letter', async () => (await deadLetters.getJob(jobId)) !== undefined, 30000);
    const letter = await deadLetters.getJob(jobId);
    expect(letter?.data.events.map((event) => event.id)).toEqual([poison.id, healthy.id]);
    expect(letter?.data.error).toContain('cannot digest this');
    // The healthy event of the same job was handled once, despite three attempts of the job.
    const [row] = await db.dataSource.query('SELECT COUNT(*) AS n FROM effect WHERE event_id = ?', [
      healthy.id,
    ]);
    expect(Number(row.n)).toBe(1);
    expect(EVENT_JOB_OPTIONS).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
    await deadLetters.close();
    await publisher.close();
  });
});
