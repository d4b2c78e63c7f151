import type { SqlExecutor } from '../../../platform/src/data/database';
import type { EventConsumer } from '../../../platform/src/events/consumer';
import { createEnvelope, type EventEnvelope } from '../../../platform/src/events/envelope';
import { writeOutbox } from '../../../platform/src/events/outbox';
import { coreModel } from '../../fixtures/security/core-model';
import { OutboxRelay } from '../../../platform/src/events/outbox-relay';
import {
  InProcessPublisher,
  type EventPublisher,
  type PublishResult,
} from '../../../platform/src/events/publisher';
import { openPlatformDatabase, type TestDatabase } from '../../support/platform-database';
import { waitFor } from '../../support/wait-for';
import { TEST_DIALECTS } from '../../support/test-dialects';

/** Records each handled event in `effect` inside the consumer's transaction. */
const recorder: EventConsumer = {
  name: 'test-recorder',
  types: ['work_order.*'],
  async handle(event: EventEnvelope, tx: SqlExecutor) {
    await tx.execute('INSERT INTO effect (event_id, consumer) VALUES (?, ?)', [event.id, 'recorder']);
  },
};

function workOrderEvent(n: number): EventEnvelope {
  return createEnvelope({
    type: 'work_order.released',
    tenant: 't1',
    actor: 'u1',
    entity: 'work_order',
    entityId: n,
    payload: { wo_no: `WO-A01-${String(n).padStart(4, '0')}` },
  });
}

/** Commits a business row and its events in one transaction, optionally failing before commit. */
async function commitChange(db: TestDatabase, events: EventEnvelope[], fail = false): Promise<void> {
  const change = db.db.transaction(async (tx) => {
    await tx.execute('INSERT INTO business_row (label) VALUES (?)', ['change']);
    await writeOutbox(tx, coreModel(), events);
    if (fail) throw new Error('validation failed after the writes');
  });
  if (fail) await expect(change).rejects.toThrow('validation failed');
  else await change;
}

async function count(db: TestDatabase, sql: string, params: unknown[] = []): Promise<number> {
  const rows: { n: number | string }[] = await db.dataSource.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe.each(TEST_DIALECTS)('outbox and in-process relay on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openPlatformDatabase(dialect, 'outbox');
    await db.dataSource.query(
      'CREATE TABLE effect (event_id VARCHAR(40) NOT NULL, consumer VARCHAR(40) NOT NULL)',
    );
    await db.dataSource.query('CREATE TABLE business_row (label VARCHAR(40) NOT NULL)');
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    for (const table of ['effect', 'business_row', 'evt_outbox', 'evt_processed'])
      await db.dataSource.query(`DELETE FROM ${table}`);
  });

  it('emits nothing from a failed transaction and everything from a committed one', async () => {
    await commitChange(db, [workOrderEvent(1), workOrderEvent(2)], true);
    expect(await count(db, 'SELECT COUNT(*) AS n FROM evt_outbox')).toBe(0);
    expect(await count(db, 'SELECT COUNT(*) AS n FROM business_row')).toBe(0);

    const committed = [workOrderEvent(3), workOrderEvent(4)];
    await commitChange(db, committed);
    const relay = new OutboxRelay(db.db, new InProcessPublisher(db.db, [recorder]));
    expect(await relay.relayOnce()).toBe(2);
    const effects: { event_id: string }[] = await db.dataSource.query(
      'SELECT event_id FROM effect ORDER BY event_id',
    );
    expect(effects.map((row) => row.event_id)).toEqual(committed.map((event) => event.id).sort());
    expect(await relay.relayOnce()).toBe(0);
  });

  it('handles only the new events of a batch that brings some again, each once', async () => {
    const events = [1, 2, 3, 4].map(workOrderEvent);
    const publisher = new InProcessPublisher(db.db, [recorder]);
    await publisher.publish([events[0]!, events[2]!]);
    expect((await publisher.publish([...events, events[3]!])).failed.size).toBe(0);
    const effects: { event_id: string }[] = await db.dataSource.query(
      'SELECT event_id FROM effect ORDER BY event_id',
    );
    expect(effects.map((row) => row.event_id)).toEqual(events.map((event) => event.id).sort());
  });

  it('loses nothing and duplicates nothing when the relay dies between publish and marking', async () => {
    const events = Array.from({ length: 60 }, (_, i) => workOrderEvent(i));
    for (let i = 0; i < events.length; i += 10) await commitChange(db, events.slice(i, i + 10));

    const inProcess = new InProcessPublisher(db.db, [recorder]);
    const crashing: EventPublisher = {
      async publish(batch): Promise<PublishResult> {
        await inProcess.publish(batch);
        throw new Error('process killed before marking the batch published');
      },
      close: () => inProcess.close(),
    };
    const doomed = new OutboxRelay(db.db, crashing, { batchSize: 25 });
    await expect(doomed.relayOnce()).rejects.toThrow('process killed');
    expect(await count(db, 'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL')).toBe(60);

    const restarted = new OutboxRelay(db.db, inProcess, { batchSize: 25, idleDelayMs: 10 });
    restarted.start();
    await waitFor(
      'all events published',
      async () => (await count(db, 'SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL')) === 0,
    );
    await restarted.stop();

    expect(await count(db, 'SELECT COUNT(*) AS n FROM effect')).toBe(60);
    expect(await count(db, 'SELECT COUNT(DISTINCT event_id) AS n FROM effect')).toBe(60);
  });

  it('retries a failing consumer with backoff and dead-letters it after three attempts', async () => {
    const failing: EventConsumer = {
      name: 'always-failing',
      types: ['work_order.released'],
      handle: () => Promise.reject(new Error('downstream unavailable')),
    };
    await commitChange(db, [workOrderEvent(9)]);
    const relay = new OutboxRelay(db.db, new InProcessPublisher(db.db, [recorder, failing]), {
      backoffMs: 20,
      idleDelayMs: 5,
    });
    relay.start();
    await waitFor(
      'the dead letter',
      async () => (await count(db, 'SELECT COUNT(*) AS n FROM evt_outbox WHERE dead_at IS NOT NULL')) === 1,
    );
    await relay.stop();

    const [row] = await db.dataSource.query('SELECT attempts, last_error, published_at FROM evt_outbox');
    expect(row).toMatchObject({ attempts: 3, last_error: 'downstream unavailable', published_at: null });
    expect(await count(db, 'SELECT COUNT(*) AS n FROM effect')).toBe(1);
  });
});
