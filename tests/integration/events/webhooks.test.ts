import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookSubscriptionTimePrecision1795620000000 } from '../../../database/migrations/1795620000000-webhook-subscription-time-precision';
import { WebhookSubscriptionUnmask1796540952832 } from '../../../database/migrations/1796540952832-webhook-subscription-unmask';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import { createEnvelope } from '../../../platform/src/events/envelope';
import { writeOutbox } from '../../../platform/src/events/outbox';
import { OutboxRelay } from '../../../platform/src/events/outbox-relay';
import { InProcessPublisher } from '../../../platform/src/events/publisher';
import { ALLOW_HOSTS_SETTING, WebhookTargetPolicy } from '../../../platform/src/events/webhook-targets';
import {
  SIGNATURE_HEADER,
  createWebhookSubscription,
  verifySignature,
  webhookConsumer,
  type NewWebhookSubscription,
} from '../../../platform/src/events/webhooks';
import { ApiError } from '../../../platform/src/crud/errors';
import type { SqlExecutor } from '../../../platform/src/data/database';
import { coreModel } from '../../fixtures/security/core-model';
import { openSecurityDatabase, type SecurityTestDatabase } from '../../fixtures/security/database';
import { waitFor } from '../../support/wait-for';
import { TEST_DIALECTS } from '../../support/test-dialects';

const SECRET = 'a-long-shared-secret';
/** The receiver listens on loopback, which webhooks reach only when it is allowed. */
const RECEIVER = new WebhookTargetPolicy(['127.0.0.1']);
const ACTOR = { actorId: 'test' };

describe.each(TEST_DIALECTS)('webhooks on %s', (dialect) => {
  let db: SecurityTestDatabase;
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failuresLeft = 0;
  const subscribe = (input: NewWebhookSubscription, targets = RECEIVER) =>
    createWebhookSubscription(db.db, input, targets, ACTOR);

  beforeAll(async () => {
    db = await openSecurityDatabase(dialect, 'webhooks', ['audit_log']);
    await db.db.withQueryRunner(async (runner) => {
      await new WorkflowEventsTraceTables1764061200000().up(runner);
      await new WebhookSubscriptionTimePrecision1795620000000().up(runner);
      await new WebhookSubscriptionUnmask1796540952832().up(runner);
    });
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
    await db.close();
  });

  it('posts matching events signed with HMAC-SHA256 and retries a failed delivery', async () => {
    await subscribe({ tenant: 't1', eventType: 'work_order.*', url, secret: SECRET });
    await subscribe({ tenant: 't2', eventType: '*', url, secret: SECRET });
    const released = createEnvelope({
      type: 'work_order.released',
      tenant: 't1',
      entity: 'work_order',
      entityId: 1,
    });
    const other = createEnvelope({ type: 'inspection.completed', tenant: 't1' });
    await db.db.transaction((tx) => writeOutbox(tx, coreModel(), [released, other]));
    failuresLeft = 1;

    const relay = new OutboxRelay(
      db.db,
      new InProcessPublisher(db.db, [webhookConsumer({ targets: RECEIVER })]),
      {
        backoffMs: 10,
        idleDelayMs: 5,
      },
    );
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
    const error = await subscribe({ tenant: 't1', eventType: '*', url: 'ftp://x', secret: SECRET }).catch(
      (e: unknown) => e,
    );
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
      const consumer = webhookConsumer({ targets: RECEIVER });
      for (const event of events) await consumer.handle(event, counting);
    });
    expect(reads.filter((sql) => sql.includes('FROM evt_webhook_subscription'))).toHaveLength(1);
  });

  it('does not deliver events that happened before the subscription was created', async () => {
    const earlier = createEnvelope(
      { type: 'lot.split', tenant: 't4', entity: 'lot', entityId: 1 },
      new Date(Date.now() - 60_000),
    );
    await subscribe({ tenant: 't4', eventType: 'lot.*', url, secret: SECRET });
    const later = createEnvelope({ type: 'lot.merged', tenant: 't4', entity: 'lot', entityId: 2 });
    const before = received.length;
    const consumer = webhookConsumer({ targets: RECEIVER });
    await db.db.transaction(async (tx) => {
      await consumer.handle(earlier, tx);
      await consumer.handle(later, tx);
    });
    const types = received.slice(before).map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types).toEqual(['lot.merged']);
  });

  it('refuses internal targets in every spelling at subscription, audited nothing', async () => {
    const internal = [
      'http://127.0.0.1/hook',
      'http://localhost/hook',
      'http://LOCALHOST./hook',
      'http://2130706433/hook',
      'http://0x7f.0.0.1/hook',
      'http://017700000001/hook',
      'http://127.1/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::127.0.0.1]/hook',
      'http://0.0.0.0/hook',
      'http://[::]/hook',
      'http://10.0.0.5/hook',
      'http://167772165/hook',
      'http://172.16.3.4/hook',
      'http://192.168.1.10/hook',
      'http://100.64.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://[fc00::5]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://[64:ff9b::7f00:1]/hook',
      'http://224.0.0.1/hook',
    ];
    for (const target of internal) {
      const error = await subscribe(
        { tenant: 't5', eventType: '*', url: target, secret: SECRET },
        new WebhookTargetPolicy(),
      ).catch((e: unknown) => e);
      expect([target, error]).toEqual([target, expect.any(ApiError)]);
      expect([target, (error as ApiError).details?.errors?.[0]]).toEqual([
        target,
        expect.objectContaining({ field: 'url', path: '/url', rule: 'publicAddress' }),
      ]);
    }
    const stored = await db.db
      .executor()
      .query("SELECT id FROM evt_webhook_subscription WHERE tenant_id = 't5'");
    expect(stored).toEqual([]);
    const audited = await db.db.executor().query("SELECT id FROM audit_log WHERE tenant_id = 't5'");
    expect(audited).toEqual([]);
  });

  it('opens allowed host names, addresses and ranges; public addresses need no allowance', async () => {
    const allowed = new WebhookTargetPolicy(['localhost', '10.0.0.0/8', 'fd00::1']);
    for (const target of [
      'http://localhost/hook',
      'http://10.20.30.40/hook',
      'http://[fd00::1]/hook',
      'https://93.184.215.14/hook',
      'http://[2606:4700::1111]/hook',
    ])
      expect(await subscribe({ tenant: 't6', eventType: '*', url: target, secret: SECRET }, allowed)).toEqual(
        expect.any(Number),
      );
    const neighbour = await subscribe(
      { tenant: 't6', eventType: '*', url: 'http://[fd00::2]/hook', secret: SECRET },
      allowed,
    ).catch((e: unknown) => e);
    expect((neighbour as ApiError).details?.errors?.[0]).toMatchObject({
      field: 'url',
      rule: 'publicAddress',
    });
    expect(() => new WebhookTargetPolicy(['http://intranet/'])).toThrow(ALLOW_HOSTS_SETTING);
    expect(() => new WebhookTargetPolicy(['10.0.0.0/33'])).toThrow(ALLOW_HOSTS_SETTING);
  });

  it('checks the target again at delivery: a host that resolves to loopback is refused without allowance', async () => {
    const port = (server.address() as AddressInfo).port;
    await subscribe(
      { tenant: 't7', eventType: 'lot.*', url: `http://localhost:${port}/hook`, secret: SECRET },
      new WebhookTargetPolicy(['localhost']),
    );
    await subscribe({ tenant: 't8', eventType: 'lot.*', url, secret: SECRET });
    const before = received.length;
    const consumer = webhookConsumer({ targets: new WebhookTargetPolicy() });
    for (const tenant of ['t7', 't8']) {
      const event = createEnvelope({ type: 'lot.split', tenant, entity: 'lot', entityId: 1 });
      const failure = await db.db.transaction((tx) => consumer.handle(event, tx)).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/webhook delivery failed: .*loopback/);
    }
    expect(received.length).toBe(before);
  });
});
