/**
 * Timers on MariaDB + Redis with three engine instances (three servers in one process on one
 * database, each running its rule runner): a due timer fires exactly once, a cancelled one never,
 * and a timer pending while every instance is down fires on the next start. The notification it
 * sends reaches the user's live stream on another instance through Redis.
 */
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import type { LiveMessage } from '../../../platform/src/events/live-channel';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';

const PASSWORD = 'Demo-Passw0rd!';
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const unique = `timers_${process.pid}_${Date.now() % 100000}`;
const env = {
  SEED_DEMO: 'false',
  LOG_LEVEL: 'warn',
  MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
  DATABASE_URL: `mysql://root@127.0.0.1:3306/mes_test_${unique}`,
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: `mes_test_${unique}`,
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let round = 0; round < 300; round++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('timers with three instances (MariaDB + Redis)', () => {
  let instances: RunningServer[] = [];
  let token = '';
  let managerId = 0;

  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) =>
    instances[0]!.dataSource.query(query, params) as Promise<T[]>;
  const escalations = () =>
    sql<{ id: number; status: string; record_id: number }>(
      "SELECT id, status, record_id FROM auto_job WHERE rule = 'alert_escalation' ORDER BY id",
    );
  const raise = async (server: RunningServer, title: string) => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/alert-events',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        title,
        dedupKey: title,
        firstOccurredAt: new Date().toISOString(),
        lastOccurredAt: new Date().toISOString(),
      },
    });
    if (response.statusCode !== 201) throw new Error(response.body);
    return Number((response.json().data as { id: number }).id);
  };

  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      instances.push(await startServer({ env, listen: false, logDestination: quiet }));
    const model = instances[0]!.registry.current();
    await seedDemoSecurity(new EngineDatabase(instances[0]!.dataSource), model, 'DEMO', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    const login = await instances[0]!.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: PASSWORD },
    });
    token = (login.json().data as { accessToken: string }).accessToken;
    const [user] = await sql<{ id: number }>(
      `SELECT id FROM ${model.entities.get('user')!.table} WHERE username = 'inspector'`,
    );
    const [role] = await sql<{ id: number }>(
      `SELECT id FROM ${model.entities.get('role')!.table} WHERE role_code = 'quality_manager'`,
    );
    managerId = Number(user!.id);
    await sql(
      `INSERT INTO ${model.entities.get('user_role')!.table} (tenant_id, user_id, role_id, created_at, updated_at, version) VALUES ('DEMO', ?, ?, NOW(), NOW(), 1)`,
      [managerId, role!.id],
    );
  }, 240_000);

  afterAll(async () => {
    for (const server of instances) await server.close();
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await connection.query(`DROP DATABASE IF EXISTS \`mes_test_${unique}\``);
    await connection.end();
  });

  it('fires a due timer exactly once across the instances, pushed live to another instance, and never a cancelled one', async () => {
    const live: LiveMessage[] = [];
    const stop = instances[2]!.live.subscribe([`user:DEMO:${managerId}`], (message) => live.push(message));
    // Commits that queue jobs announce them to every instance's runner (with the earliest due time).
    const signals: LiveMessage[] = [];
    const unsignal = instances[2]!.live.subscribe(['system:automation.queued'], (message) =>
      signals.push(message),
    );
    const ignored = await raise(instances[0]!, 'Reflow oven alarm');
    await waitFor('the signal', async () => (signals.length > 0 ? true : undefined));
    unsignal();
    expect(signals[0]).toEqual({ event: 'automation.queued', data: { dueMs: expect.any(Number) } });
    expect((signals[0]!.data as { dueMs: number }).dueMs).toBeGreaterThan(Date.now() + 29 * 60_000);
    const handled = await raise(instances[1]!, 'Paste printer alarm');
    const acknowledge = await instances[1]!.app.inject({
      method: 'POST',
      url: `/api/alert-events/${handled}/actions/acknowledge`,
      headers: { authorization: `Bearer ${token}` },
      payload: {},
    });
    expect(acknowledge.statusCode).toBe(201);
    // Thirty minutes pass.
    await sql("UPDATE auto_job SET due_ms = 0 WHERE rule = 'alert_escalation' AND status = 'PENDING'");
    for (const server of instances) server.automation.runner.notify();
    await waitFor('the escalation', async () =>
      (await escalations()).some((job) => job.status === 'DONE') ? true : undefined,
    );
    await waitFor('the live message', async () => (live.length > 0 ? true : undefined));
    // Every runner has had a round since: still one run, one notification.
    await Promise.all(instances.map((server) => server.automation.runner.round()));
    expect((await escalations()).map((job) => [job.record_id, job.status])).toEqual([
      [ignored, 'DONE'],
      [handled, 'CANCELLED'],
    ]);
    const notes = await sql<{ title: string }>('SELECT title FROM auto_notification WHERE user_id = ?', [
      String(managerId),
    ]);
    expect(notes.map((n) => n.title)).toEqual(['Escalated: Reflow oven alarm']);
    expect(live).toEqual([expect.objectContaining({ event: 'notification.created' })]);
    stop();
  });

  it('fires a timer that fell due while every instance was down on the next start', async () => {
    const pending = await raise(instances[0]!, 'Nitrogen pressure low');
    for (const server of instances) await server.close();
    instances = [];
    // The server stayed down past the timer's due time: the job is made due while none runs.
    const connection = await createConnection({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      database: `mes_test_${unique}`,
    });
    await connection.query(
      "UPDATE auto_job SET due_ms = 0 WHERE rule = 'alert_escalation' AND status = 'PENDING'",
    );
    await connection.end();
    instances.push(await startServer({ env, listen: false, logDestination: quiet }));
    const job = await waitFor('the timer after restart', async () => {
      const found = (await escalations()).find((row) => row.record_id === pending);
      return found?.status === 'DONE' ? found : undefined;
    });
    expect(job.status).toBe('DONE');
    const notes = await sql<{ title: string }>(
      'SELECT title FROM auto_notification WHERE user_id = ? ORDER BY id',
      [String(managerId)],
    );
    expect(notes.map((n) => n.title)).toEqual([
      'Escalated: Reflow oven alarm',
      'Escalated: Nitrogen pressure low',
    ]);
  });
});
