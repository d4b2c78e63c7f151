/**
 * The live channel: `GET /api/live` streams what server code publishes to the caller's user, roles
 * and tenant, refuses anonymous callers and ends its streams when the server closes; with Redis a
 * publish on one instance reaches the listeners of another.
 */
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { liveTopic, RedisLiveChannel, type LiveMessage } from '../../../platform/src/events/live-channel';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

interface Stream {
  status: number;
  contentType: string | undefined;
  /** Resolves with the next frame of the event name (frames already received count). */
  next(event: string): Promise<unknown>;
  events(): string[];
  close(): void;
  ended: Promise<void>;
}

function openStream(url: string, token?: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      const frames: LiveMessage[] = [];
      const waiters: { event: string; resolve: (data: unknown) => void }[] = [];
      let buffer = '';
      const consumed = new Set<LiveMessage>();
      const settle = () => {
        for (const waiter of [...waiters]) {
          const frame = frames.find((f) => f.event === waiter.event && !consumed.has(f));
          if (!frame) continue;
          consumed.add(frame);
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(frame.data);
        }
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) frames.push({ event, data: JSON.parse(data) as unknown });
        }
        settle();
      });
      const ended = new Promise<void>((done) => response.on('close', () => done()));
      resolve({
        status: response.statusCode ?? 0,
        contentType: response.headers['content-type'],
        next: (event) =>
          new Promise((done) => {
            waiters.push({ event, resolve: done });
            settle();
          }),
        events: () => frames.map((f) => f.event),
        close: () => request.destroy(),
        ended,
      });
    });
  });
}

describe('live channel over HTTP', () => {
  let mes: SecurityServer;
  let base: string;

  beforeAll(async () => {
    mes = await startSecurityServer('sqlite', 'live');
    await mes.server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(mes.server.app.getHttpServer().address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(() => mes?.stop());

  it('refuses a caller without a token', async () => {
    const stream = await openStream(`${base}/api/live`);
    expect(stream.status).toBe(401);
  });

  it("streams the messages of the caller's user, roles and tenant, and only those", async () => {
    const planner = await openStream(`${base}/api/live`, await mes.login('planner'));
    const inspector = await openStream(`${base}/api/live`, await mes.login('inspector'));
    expect(planner.status).toBe(200);
    expect(planner.contentType).toMatch(/^text\/event-stream/);
    const plannerReady = (await planner.next('ready')) as { userId: string; tenantId: string };
    const inspectorReady = (await inspector.next('ready')) as { userId: string };
    expect(plannerReady.tenantId).toBe('DEMO');

    const live = mes.server.live;
    await live.publish(
      { tenantId: 'DEMO', kind: 'user', userId: inspectorReady.userId },
      { event: 'notification.created', data: { for: 'inspector' } },
    );
    await live.publish(
      { tenantId: 'DEMO', kind: 'user', userId: plannerReady.userId },
      { event: 'notification.created', data: { for: 'planner' } },
    );
    await live.publish({ tenantId: 'OTHER', kind: 'tenant' }, { event: 'dashboard.changed', data: 'other' });
    await live.publish(
      { tenantId: 'DEMO', kind: 'role', role: 'production_planner' },
      { event: 'role.ping', data: 1 },
    );
    await live.publish({ tenantId: 'DEMO', kind: 'tenant' }, { event: 'dashboard.changed', data: 'demo' });

    expect(await planner.next('notification.created')).toEqual({ for: 'planner' });
    expect(await inspector.next('notification.created')).toEqual({ for: 'inspector' });
    expect(await planner.next('role.ping')).toBe(1);
    // The tenant message was published last: once it arrived, everything before it had.
    expect(await planner.next('dashboard.changed')).toBe('demo');
    expect(await inspector.next('dashboard.changed')).toBe('demo');
    expect(planner.events()).toEqual(['ready', 'notification.created', 'role.ping', 'dashboard.changed']);
    expect(inspector.events()).toEqual(['ready', 'notification.created', 'dashboard.changed']);
    planner.close();
    inspector.close();
  });

  it('ends open streams when the server closes', async () => {
    const stream = await openStream(`${base}/api/live`, await mes.login('clerk'));
    await stream.next('ready');
    await mes.server.close();
    await stream.ended;
    expect(stream.events()).toEqual(['ready']);
  });
});

describe('live channel across instances (Redis)', () => {
  const prefix = `mes_test_live_${process.pid}_${Date.now() % 100000}`;
  const errors: unknown[] = [];
  const first = new RedisLiveChannel('redis://127.0.0.1:6379', prefix, (e) => errors.push(e));
  const second = new RedisLiveChannel('redis://127.0.0.1:6379', prefix, (e) => errors.push(e));

  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('delivers a publish on one instance to the listeners of the other, by topic', async () => {
    await Promise.all([first.ready(), second.ready()]);
    const received: LiveMessage[] = [];
    const stop = second.subscribe([liveTopic({ tenantId: 'T1', kind: 'user', userId: '7' })], (m) =>
      received.push(m),
    );
    const arrived = new Promise<void>((done) =>
      second.subscribe([liveTopic({ tenantId: 'T1', kind: 'tenant' })], () => done()),
    );
    await first.publish({ tenantId: 'T1', kind: 'user', userId: '8' }, { event: 'x', data: 'not mine' });
    await first.publish({ tenantId: 'T1', kind: 'user', userId: '7' }, { event: 'x', data: 'mine' });
    await first.publish({ tenantId: 'T1', kind: 'tenant' }, { event: 'end', data: null });
    await arrived;
    expect(received).toEqual([{ event: 'x', data: 'mine' }]);
    stop();
    expect(errors).toEqual([]);
  });
});
