/**
 * A change set published on instance A is served by instance B (same MariaDB, Redis metadata sync):
 * the operator signed in to B creates an Engineering Problem as soon as B has swapped its Model,
 * which B takes as validated by A (it compiles to the hash A recorded) without validating it again.
 */
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { ENGINEERING_PROBLEM, engineeringProblemContent } from '../../support/engineering-problem';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

const SECRET = 'jwt-secret-for-tests-0123456789abcdef';
/** Redis keys (login throttling, queues) of this test process only. */
const REDIS_ENV = { REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX: `mes-studio-${process.pid}` };
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

/** Asks `probe` until it answers true; fails after `attempts` tries 20 ms apart. */
async function eventually(probe: () => Promise<boolean>, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not reached');
}

describe('a studio publish reaches the other instance (MariaDB + Redis)', () => {
  let a: SecurityServer;
  let b: RunningServer;

  beforeAll(async () => {
    a = await startSecurityServer('mysql', 'studiosync', REDIS_ENV);
    b = await startServer({
      env: {
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        MES_JWT_SECRET: SECRET,
        ...REDIS_ENV,
        DATABASE_URL: `mysql://root@127.0.0.1:3306/${String(a.server.dataSource.options.database)}`,
      },
      listen: false,
      logDestination: quiet,
    });
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await a?.stop();
  });

  it('serves the published entity on B, to the operator signed in there', async () => {
    const token = await a.login('operator');
    const onB = (method: 'GET' | 'POST', payload?: object) =>
      b.app.inject({
        method,
        url: '/api/engineering-problems',
        payload,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await onB('GET')).statusCode).toBe(404);
    const trustedBefore = b.plugins.trustedCompositions;

    const drafted = await a.call('analyst', 'POST', '/api/studio/change-sets', {
      title: 'Engineering problems',
      content: engineeringProblemContent(),
    });
    const { id, version } = drafted.json().data as { id: number; version: number };
    const submitted = await a.call('analyst', 'POST', `/api/studio/change-sets/${id}/actions/submit`, {
      version,
    });
    const published = await a.call('reviewer', 'POST', `/api/studio/change-sets/${id}/publish`, {
      version: submitted.json().data.record.version,
    });
    expect(published.statusCode).toBe(200);

    await eventually(async () => (await onB('GET')).statusCode === 200);
    // B served the Model A validated (same hash) without validating the metadata again.
    expect(b.plugins.trustedCompositions).toBeGreaterThan(trustedBefore);
    const created = await onB('POST', { title: 'Created on B', severity: 'LOW' });
    expect(created.statusCode).toBe(201);
    expect(created.json().data.epNo).toMatch(/^EP-\d{8}-\d{3}$/);
  });

  it('serves a later change to the published entity on B (its caches follow the new version)', async () => {
    const token = await a.login('operator');
    const fields = {
      ...ENGINEERING_PROBLEM.fields,
      root_cause: { type: 'string', label: { en: 'Root cause', zh: '根因' } },
    };
    const drafted = await a.call('analyst', 'POST', '/api/studio/change-sets', {
      title: 'Root cause',
      content: { documents: [{ ...ENGINEERING_PROBLEM, fields }] },
    });
    const { id, version } = drafted.json().data as { id: number; version: number };
    const submitted = await a.call('analyst', 'POST', `/api/studio/change-sets/${id}/actions/submit`, {
      version,
    });
    const published = await a.call('reviewer', 'POST', `/api/studio/change-sets/${id}/publish`, {
      version: submitted.json().data.record.version,
    });
    expect(published.statusCode).toBe(200);
    await eventually(async () =>
      Boolean(b.registry.current().entities.get('engineering_problem')?.fieldsByName.has('root_cause')),
    );
    const created = await b.app.inject({
      method: 'POST',
      url: '/api/engineering-problems',
      payload: { title: 'With a cause', severity: 'HIGH', rootCause: 'worn die' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().data.rootCause).toBe('worn die');
  });
});
