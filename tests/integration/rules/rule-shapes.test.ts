/**
 * The shape of acceptance scenario 14 on a fixture entity (the real one is created at runtime
 * in the Studio): severity CRITICAL ⇒ priority URGENT inside the write, a refusal when the
 * urgency is lowered, and escalation by a timer when the problem is not acknowledged within two
 * hours — cancelled when it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { createSchema } from '../server/server-harness';

const METADATA = join(__dirname, '..', '..', 'fixtures', 'automation', 'metadata');
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe('rule shapes on a fixture entity (scenario 14)', () => {
  let server: RunningServer;
  let dir: string;

  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const response = await server.app.inject({ method, url, payload, headers: { 'x-tenant-id': 'T1' } });
    return {
      status: response.statusCode,
      body: response.json() as { data: Record<string, unknown>; message?: string },
    };
  };
  const timers = () =>
    server.dataSource.query(
      "SELECT record_id, status FROM auto_job WHERE rule = 'escalate_unacknowledged' ORDER BY id",
    ) as Promise<{ record_id: number; status: string }[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mes-rule-shapes-'));
    server = await startServer({
      env: {
        DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
        SEED_DEMO: 'false',
        MES_AUTH: 'off',
        LOG_LEVEL: 'warn',
        AUTOMATION_RUNNER: 'off',
      },
      metadataRoots: [METADATA],
      listen: false,
      logDestination: quiet,
      prepareSchema: createSchema,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a critical problem urgent in the write and refuses lowering its urgency', async () => {
    const created = await call('POST', '/api/engineering-problems', {
      title: 'Fixture cracks',
      severity: 'CRITICAL',
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual(expect.objectContaining({ priority: 'URGENT', status: 'OPEN' }));
    const lowered = await call('PATCH', `/api/engineering-problems/${String(created.body.data.id)}`, {
      priority: 'NORMAL',
      version: created.body.data.version,
    });
    expect(lowered.status).toBe(422);
    expect(lowered.body.message).toBe('A critical problem stays urgent');

    const minor = await call('POST', '/api/engineering-problems', { title: 'Label smudge', severity: 'LOW' });
    expect(minor.body.data.priority).toBe('NORMAL');
    const raised = await call('PATCH', `/api/engineering-problems/${String(minor.body.data.id)}`, {
      severity: 'CRITICAL',
      version: minor.body.data.version,
    });
    expect(raised.body.data.priority).toBe('URGENT');
  });

  it('escalates a critical problem not acknowledged within two hours, and not one acknowledged in time', async () => {
    const late = await call('POST', '/api/engineering-problems', {
      title: 'Weld porosity',
      severity: 'CRITICAL',
    });
    const handled = await call('POST', '/api/engineering-problems', {
      title: 'Torque drift',
      severity: 'CRITICAL',
    });
    const ack = await call(
      'POST',
      `/api/engineering-problems/${String(handled.body.data.id)}/actions/acknowledge`,
      {},
    );
    expect(ack.status).toBe(201);
    const pending = (await timers()).filter((t) =>
      [late.body.data.id, handled.body.data.id].includes(t.record_id),
    );
    expect(pending.map((t) => [t.record_id, t.status])).toEqual([
      [late.body.data.id, 'PENDING'],
      [handled.body.data.id, 'CANCELLED'],
    ]);
    // Two hours pass.
    await server.dataSource.query(
      "UPDATE auto_job SET due_ms = 0 WHERE rule = 'escalate_unacknowledged' AND status = 'PENDING'",
    );
    await server.automation.runner.round();
    expect(
      (await call('GET', `/api/engineering-problems/${String(late.body.data.id)}`)).body.data.status,
    ).toBe('ESCALATED');
    expect(
      (await call('GET', `/api/engineering-problems/${String(handled.body.data.id)}`)).body.data.status,
    ).toBe('ACKNOWLEDGED');
  });
});
