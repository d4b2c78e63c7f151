import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEnvelope } from '../../../platform/src/events/envelope';
import { writeOutbox } from '../../../platform/src/events/outbox';
import { OutboxRelay } from '../../../platform/src/events/outbox-relay';
import { InProcessPublisher } from '../../../platform/src/events/publisher';
import {
  SIGNATURE_HEADER,
  createWebhookSubscription,
  verifySignature,
  webhookConsumer,
} from '../../../platform/src/events/webhooks';
import { ApiError } from '../../../platform/src/crud/errors';
import type { SqlExecutor } from '../../../platform/src/data/database';
import { openPlatformDatabase, waitFor, type TestDatabase } from '../../support/platform-database';

const SECRET = 'a-long-shared-secret';

describe.each(['sqlite', 'mysql'] as const)('webhooks on %s', (dialect) => {
  let db: TestDatabase;
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    db = await openPlatformDatabase(dialect, 'webhooks');
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = failuresLeft-- > 0 ? 503 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  it('posts matching events signed with HMAC-SHA256 and retries a failed delivery', async () => {
    await createWebhookSubscription(db.db, { tenant: 't1', eventType: 'work_order.*', url, secret: SECRET });
    await createWebhookSubscription(db.db, { tenant: 't2', eventType: '*', url, secret: SECRET });
    const released = createEnvelope({
      type: 'work_order.released',
      tenant: 't1',
      entity: 'work_order',
      entityId: 1,
    });
    const other = createEnvelope({ type: 'inspection.completed', tenant: 't1' });
    await db.db.transaction((tx) => writeOutbox(tx, [released, other]));
    failuresLeft = 1;

    const relay = new OutboxRelay(db.db, new InProcessPublisher(db.db, [webhookConsumer()]), {
      backoffMs: 10,
      idleDelayMs: 5,
    });
    relay.start();
    await waitFor('the event published', async () => {
      const rows = await db.db
        .executor()
        .query<{ n: number }>('SELECT COUNT(*) AS n FROM evt_outbox WHERE published_at IS NULL');
      return Number(rows[0]?.n) === 0;
    });
    await relay.stop();

    expect(received).toHaveLength(2);
    for (const delivery of received) {
      expect(delivery.headers['x-mes-event-id']).toBe(released.id);
      expect(verifySignature(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER] as string)).toBe(true);
      expect(
        verifySignature('another-secret-value', delivery.body, delivery.headers[SIGNATURE_HEADER] as string),
      ).toBe(false);
    }
    const [delivery] = await db.db
      .executor()
      .query('SELECT status, response_status FROM evt_webhook_delivery');
    expect(delivery).toMatchObject({ status: 'DELIVERED', response_status: 204 });
  });

  it('refuses a subscription with a bad URL or a short secret', async () => {
    const error = await createWebhookSubscription(db.db, {
      tenant: 't1',
      eventType: '*',
      url: 'ftp://x',
      secret: SECRET,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).details?.errors?.[0]).toMatchObject({ field: 'url', rule: 'format' });
  });

  it("reads a tenant's subscriptions once for a batch of events handled in one transaction", async () => {
    const events = [1, 2, 3].map((n) =>
      createEnvelope({ type: 'stock.adjusted', tenant: 't3', entity: 'stock', entityId: n }),
    );
    const reads: string[] = [];
    await db.db.transaction(async (tx) => {
      const counting: SqlExecutor = {
        ...tx,
        query: (sql, params) => {
          reads.push(sql);
          return tx.query(sql, params);
        },
      };
      const consumer = webhookConsumer();
      for (const event of events) await consumer.handle(event, counting);
    });
    expect(reads.filter((sql) => sql.includes('FROM evt_webhook_subscription'))).toHaveLength(1);
  });

  it('does not deliver events that happened before the subscription was created', async () => {
    const earlier = createEnvelope({ type: 'lot.split', tenant: 't4', entity: 'lot', entityId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createWebhookSubscription(db.db, { tenant: 't4', eventType: 'lot.*', url, secret: SECRET });
    const later = createEnvelope({ type: 'lot.merged', tenant: 't4', entity: 'lot', entityId: 2 });
    const before = received.length;
    const consumer = webhookConsumer();
    await db.db.transaction(async (tx) => {
      await consumer.handle(earlier, tx);
      await consumer.handle(later, tx);
    });
    const types = received.slice(before).map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types).toEqual(['lot.merged']);
  });
});
