/**
 * Scheduled jobs with two instances on one MariaDB database and Redis, both running the scheduler:
 * each due time of a job runs on one instance only; a schedule changed through one instance is what
 * both run from then on (the engine's recurrence hook moves `next_run_at` in the write, and every
 * scheduler reads it); a plugin's scheduled job is a job handler on both instances while the plugin
 * is enabled, and once it is disabled through one instance the other lists it no more, refuses a job
 * naming it (422 on `handler`) and skips the runs of a job that still does.
 */
import { join } from 'node:path';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import { waitFor } from '../../support/wait-for';
import {
  bootServer,
  PLUGIN_FIXTURES,
  testDatabase,
  type PluginTestDatabase,
} from '../plugins/plugin-harness';

const ENV = { REDIS_URL: 'redis://127.0.0.1:6379', AUTOMATION_RUNNER: 'off' };

interface Answer<T> {
  status: number;
  data: T;
  body: string;
}

async function send<T = Record<string, unknown>>(
  server: RunningServer,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
): Promise<Answer<T>> {
  const response = await server.app.inject({ method, url, payload });
  const parsed = response.body ? (JSON.parse(response.body) as { data: T }) : { data: undefined as T };
  return { status: response.statusCode, data: parsed.data, body: response.body };
}

/**
 * PATCHes the job at its current version; a run committed in between (the job runs every second)
 * makes the version stale (409), so the edit is made again on the record as it is now.
 */
async function edit(
  server: RunningServer,
  id: number,
  fields: Record<string, unknown>,
): Promise<{ nextRunAt: string | null }> {
  for (;;) {
    const stored = await send<{ version: number }>(server, 'GET', `/api/jobs/${id}`);
    const changed = await send<{ nextRunAt: string | null }>(server, 'PATCH', `/api/jobs/${id}`, {
      ...fields,
      version: stored.data.version,
    });
    if (changed.status !== 409) {
      expect(changed.status).toBe(200);
      return changed.data;
    }
  }
}

describe('scheduled jobs across two instances (MariaDB + Redis)', () => {
  let database: PluginTestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  /** Every run of `test.times` on either instance: its job's tag and the due time it ran for. */
  const runs: { tag: string; at: string; on: string }[] = [];

  beforeAll(async () => {
    database = testDatabase('mysql', 'jobs_cross');
    a = await bootServer(database, ENV);
    b = await bootServer(database, ENV);
    for (const [name, server] of [
      ['a', a],
      ['b', b],
    ] as const)
      server.automation.scheduler.handlers.register('test.times', {
        description: 'records the due time of each run',
        run: ({ params, scheduledAt }) => {
          runs.push({ tag: String(params.tag), at: scheduledAt.toISOString(), on: name });
          return Promise.resolve(null);
        },
      });
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('runs each due time once across the instances, and both follow a schedule changed on one', async () => {
    const job = await send<{ id: number; version: number }>(a, 'POST', '/api/jobs', {
      jobCode: 'EVERY_SECOND',
      jobName: 'Every second',
      handler: 'test.times',
      cron: '* * * * * *',
      params: { tag: 'cross' },
    });
    expect(job.status).toBe(201);
    const ofJob = () => runs.filter((run) => run.tag === 'cross');
    await waitFor('six runs of the per-second job', () => Promise.resolve(ofJob().length >= 6));
    // Changed through B: every two seconds from the next occurrence on.
    const changed = await edit(b, job.data.id, { cron: '*/2 * * * * *' });
    const from = Date.parse(String(changed.nextRunAt));
    expect(new Date(from).getUTCSeconds() % 2).toBe(0);
    await waitFor('four runs on the new schedule', () =>
      Promise.resolve(ofJob().filter((run) => Date.parse(run.at) >= from).length >= 4),
    );
    const times = ofJob().map((run) => run.at);
    expect(new Set(times).size).toBe(times.length);
    const later = ofJob().filter((run) => Date.parse(run.at) >= from);
    expect(later.map((run) => new Date(run.at).getUTCSeconds() % 2)).toEqual(later.map(() => 0));
    expect((await edit(a, job.data.id, { status: 'PAUSED' })).nextRunAt).toBeNull();
  });

  it("offers an enabled plugin's scheduled job as a handler on both instances, and neither once it is disabled", async () => {
    const installed = await send(a, 'POST', '/api/admin/plugins', {
      source: join(PLUGIN_FIXTURES, 'gadgets'),
      enable: true,
    });
    expect(installed.status).toBe(201);
    const handlers = async (server: RunningServer) =>
      (await send<{ name: string; plugin: string | null }[]>(server, 'GET', '/api/jobs/handlers')).data;
    await waitFor('instance b to offer the plugin job', async () =>
      (await handlers(b)).some((handler) => handler.name === 'gadgets.tick'),
    );
    expect(await handlers(b)).toContainEqual(
      expect.objectContaining({ name: 'gadgets.tick', plugin: 'gadgets' }),
    );
    const job = await send<{ id: number; version: number }>(b, 'POST', '/api/jobs', {
      jobCode: 'GADGET_TICK',
      jobName: 'Gadget tick',
      handler: 'gadgets.tick',
      cron: '0 3 * * *',
    });
    expect(job.status).toBe(201);
    const ran = await send<{ lastResult: string; runCount: number }>(
      a,
      'POST',
      `/api/jobs/${job.data.id}/run_now`,
    );
    expect(ran.data).toMatchObject({ lastResult: 'SUCCESS', runCount: 1 });

    expect((await send(a, 'POST', '/api/admin/plugins/gadgets/disable')).status).toBe(200);
    await waitFor(
      'instance b to withdraw the plugin job',
      async () => !(await handlers(b)).some((handler) => handler.name === 'gadgets.tick'),
    );
    const refused = await send<unknown>(b, 'POST', '/api/jobs', {
      jobCode: 'GADGET_TICK_2',
      jobName: 'Gadget tick again',
      handler: 'gadgets.tick',
      cron: '0 3 * * *',
    });
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.body).errors).toEqual([
      expect.objectContaining({ field: 'handler', path: '/handler', rule: 'handler' }),
    ]);
    // The job naming it stays; its runs are skipped, not failed, until the plugin is back.
    const skipped = await send<{
      lastResult: string;
      lastError: string;
      runCount: number;
      failureCount: number;
    }>(b, 'POST', `/api/jobs/${job.data.id}/run_now`);
    expect(skipped.data).toMatchObject({ lastResult: 'SKIPPED', runCount: 1, failureCount: 0 });
    expect(skipped.data.lastError).toMatch(/no job handler 'gadgets\.tick' is registered/);
  });
});
