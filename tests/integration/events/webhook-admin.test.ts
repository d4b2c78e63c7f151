import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '../../../platform/src/events/webhooks';
import { startSecurityServer, type SecurityServer } from '../security/security-server';
import { waitForValue } from '../../support/wait-for';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The webhook admin API on the real server: subscribe, receive signed events, read deliveries, cancel. */
describe('webhook admin API', () => {
  let api: SecurityServer;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/mes`;
    // The receiver is on loopback, which webhooks reach only when it is allowed.
    api = await startSecurityServer('sqlite', 'webhooks', { MES_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const createUnit = (code: string) =>
    api.call('admin', 'POST', '/api/units', { uomCode: code, uomName: `Unit ${code}` });

  it('subscribes, delivers a signed event and logs the delivery', async () => {
    const created = await api.call('admin', 'POST', '/api/admin/webhooks', {
      eventType: 'unit_of_measure.*',
      url: receiverUrl,
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json().data as { id: number; secret: string };
    expect(secret.length).toBeGreaterThanOrEqual(32);

    expect((await createUnit('WH-A')).statusCode).toBe(201);
    const delivery = await waitForValue('the WH-A event at the receiver', async () =>
      received.find((r) => r.body.includes('WH-A')),
    );
    expect(delivery.headers['x-mes-event']).toBe('unit_of_measure.created');
    expect(verifySignature(secret, delivery.body, delivery.headers[SIGNATURE_HEADER] as string)).toBe(true);

    const log = await waitForValue('the delivery log entry', async () => {
      const deliveries = (await api.call('admin', 'GET', `/api/admin/webhooks/${id}/deliveries`)).json()
        .data as { status: string; eventId: string }[];
      return deliveries.length > 0 ? deliveries : undefined;
    });
    expect(log[0]).toMatchObject({ status: 'DELIVERED', eventId: delivery.headers['x-mes-event-id'] });

    const listed = (await api.call('admin', 'GET', '/api/admin/webhooks')).json().data as Record<
      string,
      unknown
    >[];
    expect(listed).toEqual([expect.objectContaining({ id, eventType: 'unit_of_measure.*', active: true })]);
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('stops delivering once the subscription is cancelled', async () => {
    const [subscription] = (await api.call('admin', 'GET', '/api/admin/webhooks')).json().data as {
      id: number;
    }[];
    const cancelled = await api.call('admin', 'DELETE', `/api/admin/webhooks/${subscription!.id}`);
    expect(cancelled.statusCode).toBe(200);
    const before = received.length;
    expect((await createUnit('WH-B')).statusCode).toBe(201);
    const probe = await api.call('admin', 'POST', '/api/admin/webhooks', {
      eventType: 'unit_of_measure.*',
      url: receiverUrl,
    });
    await createUnit('WH-C');
    await waitForValue('the WH-C event at the receiver', async () =>
      received.find((r) => r.body.includes('WH-C')),
    );
    expect(received.slice(before).some((r) => r.body.includes('WH-B'))).toBe(false);
    expect(probe.statusCode).toBe(201);
  });

  it('refuses callers without webhook:manage and bad input with the field and rule', async () => {
    const forbidden = await api.call('planner', 'GET', '/api/admin/webhooks');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('webhook:manage'),
    });

    const badType = await api.call('admin', 'POST', '/api/admin/webhooks', {
      eventType: 'DROP TABLE',
      url: receiverUrl,
    });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().errors[0]).toMatchObject({
      field: 'eventType',
      rule: 'pattern',
      path: '/eventType',
    });

    const badUrl = await api.call('admin', 'POST', '/api/admin/webhooks', { eventType: '*', url: 'ftp://x' });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().errors[0]).toMatchObject({ field: 'url', rule: 'format' });

    const missing = await api.call('admin', 'DELETE', '/api/admin/webhooks/999999');
    expect(missing.statusCode).toBe(404);
    const badLimit = await api.call('admin', 'GET', '/api/admin/webhooks/1/deliveries?limit=0');
    expect(badLimit.statusCode).toBe(400);
  });
});
