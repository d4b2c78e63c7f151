/**
 * Secrets in events and the webhook admin API on the real server, on SQLite and MariaDB: a user's
 * password hash never reaches the outbox or a webhook, sensitive fields are masked unless the
 * subscription was granted unmask, subscriptions to internal addresses and to unknown event types
 * are refused, subscription changes are audited with who, from where and with what client, and the
 * admin routes refuse a caller without a principal however the path is spelled.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEnvelope } from '../../platform/src/events/envelope';
import { SIGNATURE_HEADER, verifySignature } from '../../platform/src/events/webhooks';
import {
  startSecurityServer,
  type Dialect,
  type SecurityServer,
} from '../integration/security/security-server';
import { waitFor } from '../support/wait-for';
import { TEST_DIALECTS } from '../support/test-dialects';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const EMAIL = 'li.planner@example.com';
const PHONE = '13800138000';

describe.each<Dialect>(TEST_DIALECTS)('events and webhooks on %s', (dialect) => {
  let mes: SecurityServer;
  let receiver: Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // The receiver is on loopback: only the explicit allowance opens it.
    mes = await startSecurityServer(dialect, 'evtsecrets', { MES_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await mes?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  beforeEach(() => expect.hasAssertions());

  const subscribe = async (body: object, headers: Record<string, string> = {}) =>
    mes.server.app.inject({
      method: 'POST',
      url: '/api/admin/webhooks',
      payload: body,
      headers: { authorization: `Bearer ${await mes.login('admin')}`, ...headers },
      remoteAddress: headers['x-test-remote'] ?? '127.0.0.1',
    });

  it('keeps the password hash out of user events and masks sensitive fields unless unmask was granted', async () => {
    const masked = await subscribe({ eventType: 'user.updated', url: `${base}/masked` });
    const clear = await subscribe({ eventType: 'user.*', url: `${base}/clear`, unmask: true });
    expect([masked.statusCode, clear.statusCode]).toEqual([201, 201]);
    expect(clear.json().data).toMatchObject({ unmask: true });
    const secrets = [masked.json().data.secret as string, clear.json().data.secret as string];

    const [planner] = await mes.query<{ id: number; version: number; password_hash: string }>(
      "SELECT id, version, password_hash FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'planner'",
    );
    expect(planner!.password_hash.length).toBeGreaterThan(20);
    const users = `/api/${mes.server.registry.current().entities.get('user')!.path}`;
    const updated = await mes.call('admin', 'PATCH', `${users}/${planner!.id}`, {
      email: EMAIL,
      phone: PHONE,
      version: Number(planner!.version),
    });
    expect(updated.statusCode).toBe(200);

    const [row] = await mes.query<{ envelope: string }>(
      "SELECT envelope FROM evt_outbox WHERE event_type = 'user.updated' AND entity_id = ?",
      [String(planner!.id)],
    );
    const stored = JSON.parse(row!.envelope) as EventEnvelope;
    expect(stored.payload).not.toHaveProperty('passwordHash');
    expect(stored.payload).toMatchObject({ email: 'li****@example.com', phone: '****8000' });
    expect(row!.envelope).not.toContain(planner!.password_hash);
    expect(row!.envelope).not.toContain(EMAIL);
    expect(row!.envelope).not.toContain(PHONE);

    await waitFor(
      'both deliveries',
      async () => received.filter((r) => r.body.includes(stored.id)).length >= 2,
    );
    const delivered = (path: string) => received.find((r) => r.path === path && r.body.includes(stored.id))!;
    for (const [index, path] of ['/masked', '/clear'].entries()) {
      const delivery = delivered(path);
      expect(
        verifySignature(secrets[index]!, delivery.body, delivery.headers[SIGNATURE_HEADER] as string),
      ).toBe(true);
      expect(delivery.body).not.toContain(planner!.password_hash);
      const event = JSON.parse(delivery.body) as EventEnvelope;
      expect(event).not.toHaveProperty('sealed');
      expect(event.payload).not.toHaveProperty('passwordHash');
    }
    expect((JSON.parse(delivered('/masked').body) as EventEnvelope).payload).toMatchObject({
      email: 'li****@example.com',
      phone: '****8000',
    });
    expect(delivered('/masked').body).not.toContain(EMAIL);
    expect((JSON.parse(delivered('/clear').body) as EventEnvelope).payload).toMatchObject({
      email: EMAIL,
      phone: PHONE,
    });
  });

  it('lets only a caller who may unmask every covered entity grant unmask', async () => {
    const path = (entity: string) => `/api/${mes.server.registry.current().entities.get(entity)!.path}`;
    const permission = await mes.call('admin', 'POST', path('permission'), {
      permissionCode: 'webhook:manage',
      permissionName: 'Manage webhooks',
    });
    expect(permission.statusCode).toBe(201);
    const [role] = await mes.query<{ id: number; version: number }>(
      "SELECT id, version FROM sys_role WHERE tenant_id = 'DEMO' AND role_code = 'production_planner'",
    );
    const granted = await mes.call('admin', 'PATCH', `${path('role')}/${role!.id}`, {
      version: Number(role!.version),
      permissions: [{ permissionId: permission.json().data.id as number }],
    });
    expect(granted.statusCode).toBe(200);
    mes.forget('planner');

    const masked = await mes.call('planner', 'POST', '/api/admin/webhooks', {
      eventType: 'user.updated',
      url: `${base}/planner-masked`,
    });
    expect(masked.statusCode).toBe(201);
    const unmasked = await mes.call('planner', 'POST', '/api/admin/webhooks', {
      eventType: 'user.updated',
      url: `${base}/planner-clear`,
      unmask: true,
    });
    expect(unmasked.statusCode).toBe(403);
    expect(unmasked.json().message).toContain("'user:unmask'");
    const stored = await mes.query(
      "SELECT id FROM evt_webhook_subscription WHERE url LIKE '%/planner-clear'",
    );
    expect(stored).toEqual([]);
  });

  it('refuses internal targets at subscription, naming the field and the rule', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/hook',
      'http://167772165/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:192.168.0.1]/hook',
    ]) {
      const refused = await subscribe({ eventType: '*', url });
      expect([url, refused.statusCode]).toEqual([url, 400]);
      expect(refused.json().errors[0]).toMatchObject({ field: 'url', path: '/url', rule: 'publicAddress' });
      expect(refused.json().message).toContain('MES_WEBHOOK_ALLOW_HOSTS');
    }
  });

  it('refuses an event type that matches nothing the platform emits, suggesting the closest', async () => {
    const typo = await subscribe({ eventType: 'user.updatd', url: `${base}/typo` });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().errors[0]).toMatchObject({ field: 'eventType', path: '/eventType', rule: 'enum' });
    expect(typo.json().errors[0].limit).toEqual(
      expect.arrayContaining(['user.updated', 'work_order.released']),
    );
    expect(typo.json().message).toContain("did you mean 'user.updated'?");
    const wildcard = await subscribe({ eventType: 'work_ordr.*', url: `${base}/typo` });
    expect(wildcard.statusCode).toBe(400);
    expect(wildcard.json().message).toContain("did you mean 'work_order.*'?");
    const unmask = await subscribe({ eventType: 'user.*', url: `${base}/typo`, unmask: 'yes' });
    expect(unmask.statusCode).toBe(400);
    expect(unmask.json().errors[0]).toMatchObject({ field: 'unmask', rule: 'type' });

    const types = await mes.call('admin', 'GET', '/api/admin/webhooks/event-types');
    expect(types.statusCode).toBe(200);
    expect(types.json().data).toEqual(
      expect.arrayContaining([
        { type: 'user.updated', entities: ['user'] },
        { type: 'user.locked', entities: ['user'] },
        { type: 'inventory.abc_analysis.completed', entities: ['item_master'] },
        { type: 'material.consumption', entities: ['map_lot_material', 'stock_transaction'] },
      ]),
    );
  });

  it('audits subscribing and cancelling with the actor, the IP and the user agent', async () => {
    const client = { 'user-agent': 'erp-connector/2.1', 'x-test-remote': '203.0.113.7' };
    const created = await subscribe({ eventType: 'work_order.*', url: `${base}/audited` }, client);
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json().data as { id: number; secret: string };
    const cancelled = await mes.server.app.inject({
      method: 'DELETE',
      url: `/api/admin/webhooks/${id}`,
      headers: { authorization: `Bearer ${await mes.login('admin')}`, 'user-agent': 'erp-connector/2.1' },
      remoteAddress: '203.0.113.8',
    });
    expect(cancelled.statusCode).toBe(200);

    const rows = await mes.query<Record<string, unknown>>(
      "SELECT action, actor_id, actor_name, ip, user_agent, diff FROM audit_log WHERE entity_name = 'webhook_subscription' AND record_id = ? ORDER BY id",
      [String(id)],
    );
    const [admin] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'admin'",
    );
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => [row.action, row.actor_id, row.actor_name, row.ip, row.user_agent])).toEqual([
      ['METADATA_CHANGE', String(admin!.id), 'admin', '203.0.113.7', 'erp-connector/2.1'],
      ['METADATA_CHANGE', String(admin!.id), 'admin', '203.0.113.8', 'erp-connector/2.1'],
    ]);
    const details = rows.map((row) => (typeof row.diff === 'string' ? JSON.parse(row.diff) : row.diff));
    expect(details).toEqual([
      { operation: 'create', eventType: 'work_order.*', url: `${base}/audited`, unmask: false },
      { operation: 'cancel', eventType: 'work_order.*', url: `${base}/audited` },
    ]);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('refuses the admin routes to a caller without a principal, however the path is spelled', async () => {
    for (const url of ['/api/admin/webhooks', '/%61pi/admin/webhooks', '/api/admin/%77ebhooks']) {
      for (const method of ['GET', 'POST'] as const) {
        const response = await mes.server.app.inject({
          method,
          url,
          payload: method === 'POST' ? { eventType: '*', url: `${base}/anonymous` } : undefined,
        });
        expect([method, url, response.statusCode]).toEqual([method, url, 401]);
      }
    }
    const forbidden = await mes.call('operator', 'POST', '/api/admin/webhooks', {
      eventType: '*',
      url: `${base}/operator`,
    });
    expect(forbidden.statusCode).toBe(403);
    const stored = await mes.query(
      "SELECT id FROM evt_webhook_subscription WHERE url LIKE '%/anonymous' OR url LIKE '%/operator'",
    );
    expect(stored).toEqual([]);
  });
});
