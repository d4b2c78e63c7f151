/**
 * Scheduled jobs (`job` records) on the real server, on SQLite and MariaDB: the scheduler runs an
 * ACTIVE job on its cron through a registered handler and writes the outcome through the audited
 * record-change path; PAUSED jobs are not run; unknown handlers and bad schedules are refused; the
 * `run_now` action needs its permission and refuses a second run of a non-concurrent job; missed
 * occurrences after downtime follow the misfire policy, each due time run once however many polls
 * race for it; a job another instance pauses or edits between a poll's read and its claim is not
 * run, or run as edited. The test drives polls with tick() (JOB_SCHEDULER=off) except where the
 * started scheduler runs a job on a per-second cron.
 */
import type { EntityService } from '../../../platform/src/crud/entity.service';
import { sqlTime } from '../../../platform/src/data/sql';
import { JobScheduler, MAX_CATCH_UP } from '../../../platform/src/jobs/job-scheduler';
import { startMesServer, type MesServer } from '../scenario/mes-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Dialect = 'sqlite' | 'mysql';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each<Dialect>(TEST_DIALECTS)('scheduled jobs (%s)', (dialect) => {
  let mes: MesServer;
  const calls: { handler: string; params: Record<string, unknown>; scheduledAt: Date }[] = [];
  let release: (() => void) | null = null;
  let entered = false;
  const scheduler = () => mes.server.automation.scheduler;
  const callsOf = (tag: string) => calls.filter((call) => call.params.tag === tag);
  let seq = 0;
  const createJob = (body: Record<string, unknown>) =>
    mes.create('admin', '/api/jobs', {
      jobCode: `J${++seq}`,
      jobName: `Job ${seq}`,
      handler: 'test.count',
      cron: '*/10 * * * *',
      ...body,
    });

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'jobs', { AUTOMATION_RUNNER: 'off', JOB_SCHEDULER: 'off' });
    const handlers = scheduler().handlers;
    handlers.register('test.count', {
      description: 'counts its runs',
      run: ({ params, scheduledAt }) => {
        calls.push({ handler: 'test.count', params, scheduledAt });
        return Promise.resolve(null);
      },
    });
    handlers.register('test.fail', {
      description: 'always fails',
      run: ({ params, scheduledAt }) => {
        calls.push({ handler: 'test.fail', params, scheduledAt });
        return Promise.reject(new Error('the handler failed on purpose'));
      },
    });
    handlers.register('test.block', {
      description: 'runs until released or aborted',
      run: ({ signal }) =>
        new Promise<void>((resolve) => {
          entered = true;
          release = resolve;
          signal.addEventListener('abort', () => resolve());
        }),
    });
  }, 240_000);

  afterAll(async () => {
    await mes?.stop();
  });

  it('refuses an unknown handler, a bad cron and an unknown time zone, naming the field', async () => {
    const unknown = await mes.call('admin', 'POST', '/api/jobs', {
      jobCode: 'BAD1',
      jobName: 'Bad',
      handler: 'no.such.handler',
      cron: '* * * * *',
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'handler', rule: 'handler' })]);
    const cron = await mes.call('admin', 'POST', '/api/jobs', {
      jobCode: 'BAD2',
      jobName: 'Bad',
      handler: 'audit.seal',
      cron: '61 * * * *',
    });
    expect(cron.statusCode).toBe(422);
    expect(cron.json().errors).toEqual([
      expect.objectContaining({ field: 'cron', message: expect.stringMatching(/bad minute '61'/) }),
    ]);
    const zone = await mes.call('admin', 'POST', '/api/jobs', {
      jobCode: 'BAD3',
      jobName: 'Bad',
      handler: 'audit.seal',
      cron: '0 * * * *',
      timezone: 'Mars/Olympus',
    });
    expect(zone.statusCode).toBe(422);
    expect(zone.json().errors).toEqual([expect.objectContaining({ field: 'timezone' })]);
    const never = await mes.call('admin', 'POST', '/api/jobs', {
      jobCode: 'BAD4',
      jobName: 'Bad',
      handler: 'audit.seal',
      cron: '0 0 30 2 *',
    });
    expect(never.statusCode).toBe(422);
    expect(never.json().errors).toEqual([
      expect.objectContaining({ field: 'cron', message: expect.stringMatching(/never matches/) }),
    ]);
    const job = await createJob({ params: { tag: 'edit' } });
    const edit = await mes.call('admin', 'PATCH', `/api/jobs/${job.id as number}`, {
      handler: 'no.such.handler',
      version: job.version,
    });
    expect(edit.statusCode).toBe(422);
    expect(edit.json().errors[0].field).toBe('handler');
  });

  it('runs an ACTIVE job on its per-second cron and records the outcome, audited', async () => {
    const job = await createJob({ cron: '* * * * * *', timezone: 'Asia/Shanghai', params: { tag: 'fast' } });
    expect(job.nextRunAt).toBeTruthy();
    scheduler().start();
    try {
      await until('the fast job to run', async () => {
        const row = await mes.get('admin', `/api/jobs/${job.id as number}`);
        return Number(row.runCount) >= 1;
      });
    } finally {
      await scheduler().stop();
    }
    const row = await mes.get('admin', `/api/jobs/${job.id as number}`);
    expect(row).toMatchObject({ lastResult: 'SUCCESS', lastError: null, failureCount: 0 });
    // The schedule moved past the run it claimed; a run started late (a loaded machine) may start
    // after its successor fell due, so the next run is not compared with the last one's start.
    expect(Date.parse(String(row.nextRunAt))).toBeGreaterThan(Date.parse(String(job.nextRunAt)));
    expect(callsOf('fast').length).toBeGreaterThanOrEqual(1);
    const audit = await mes.query<{ actor_id: unknown; action: string }>(
      "SELECT actor_id, action FROM audit_log WHERE entity_name = 'job' AND record_id = ? AND action = 'UPDATE'",
      [String(job.id)],
    );
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(audit.every((entry) => entry.actor_id === 'system')).toBe(true);
  });

  it('does not run a PAUSED job; a resumed or rescheduled job runs from now on its new schedule', async () => {
    const job = await createJob({ params: { tag: 'paused' } });
    const paused = await mes.call('admin', 'PATCH', `/api/jobs/${job.id as number}`, {
      status: 'PAUSED',
      version: job.version,
    });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().data.nextRunAt).toBeNull();
    // Due long ago, as if paused for hours.
    await mes.query(`UPDATE sys_job SET next_run_at = ? WHERE id = ?`, [
      sqlTime(new Date(Date.now() - 3 * 3_600_000)),
      job.id,
    ]);
    await scheduler().tick();
    await scheduler().idle();
    expect(callsOf('paused')).toHaveLength(0);
    const resumed = await mes.call('admin', 'PATCH', `/api/jobs/${job.id as number}`, {
      status: 'ACTIVE',
      version: paused.json().data.version,
    });
    expect(Date.parse(resumed.json().data.nextRunAt)).toBeGreaterThan(Date.now());
    await scheduler().tick();
    await scheduler().idle();
    expect(callsOf('paused')).toHaveLength(0);
    // A new schedule applies at once: 03:00 in Shanghai is 19:00 UTC.
    const edited = await mes.call('admin', 'PATCH', `/api/jobs/${job.id as number}`, {
      cron: '0 3 * * *',
      timezone: 'Asia/Shanghai',
      version: resumed.json().data.version,
    });
    const next = new Date(edited.json().data.nextRunAt);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([19, 0]);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  it('applies the misfire policy to occurrences missed while down, each due time once', async () => {
    const jobs: Record<string, Record<string, unknown>> = {};
    for (const policy of ['SKIP', 'FIRE_ONCE', 'FIRE_NOW'])
      jobs[policy] = await createJob({ misfirePolicy: policy, params: { tag: `misfire-${policy}` } });
    // Three hours down: 18 occurrences of */10 missed, the first due three hours ago.
    await mes.query(`UPDATE sys_job SET next_run_at = ? WHERE id IN (?, ?, ?)`, [
      sqlTime(new Date(Math.ceil((Date.now() - 3 * 3_600_000) / 600_000) * 600_000)),
      jobs.SKIP.id,
      jobs.FIRE_ONCE.id,
      jobs.FIRE_NOW.id,
    ]);
    // Two polls race for the same due times: each is claimed once.
    await Promise.all([scheduler().tick(), scheduler().tick()]);
    await scheduler().idle();
    expect(callsOf('misfire-SKIP')).toHaveLength(0);
    expect(callsOf('misfire-FIRE_ONCE')).toHaveLength(1);
    expect(callsOf('misfire-FIRE_NOW')).toHaveLength(MAX_CATCH_UP);
    const skip = await mes.get('admin', `/api/jobs/${jobs.SKIP.id as number}`);
    expect(skip).toMatchObject({ lastResult: 'SKIPPED', runCount: 0 });
    expect(skip.lastError).toMatch(/missed run\(s\) skipped/);
    const once = await mes.get('admin', `/api/jobs/${jobs.FIRE_ONCE.id as number}`);
    expect(once).toMatchObject({ lastResult: 'SUCCESS', runCount: 1 });
    const now = await mes.get('admin', `/api/jobs/${jobs.FIRE_NOW.id as number}`);
    expect(now).toMatchObject({ lastResult: 'SUCCESS', runCount: MAX_CATCH_UP });
    for (const row of [skip, once, now])
      expect(Date.parse(String(row.nextRunAt))).toBeGreaterThan(Date.now());
    // Missed times in order, oldest first, each ten minutes apart.
    const times = callsOf('misfire-FIRE_NOW').map((call) => call.scheduledAt.getTime());
    expect(times.slice(1).map((time, i) => time - times[i])).toEqual(Array(MAX_CATCH_UP - 1).fill(600_000));
  });

  /**
   * A second instance's scheduler on the same database, whose next poll lets `between` run after it
   * read the jobs and before it claims any: the race of two instances, in a fixed order.
   */
  function racingInstance(between: () => Promise<void>): JobScheduler {
    let pending: (() => Promise<void>) | null = between;
    const records = new Proxy(mes.server.service, {
      get(service, property) {
        if (property === 'list')
          return async (...args: Parameters<EntityService['list']>) => {
            const page = await service.list(...args);
            const change = pending;
            pending = null;
            await change?.();
            return page;
          };
        const value: unknown = Reflect.get(service, property, service);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(service) : value;
      },
    });
    return new JobScheduler({
      database: mes.server.database,
      records,
      operations: mes.server.automation.operations,
      registry: mes.server.registry,
      handlers: scheduler().handlers,
      tenants: () => Promise.resolve(['DEMO']),
    });
  }

  it('does not run a job paused between a poll reading and claiming it, and runs one edited meanwhile as edited', async () => {
    const paused = await createJob({ params: { tag: 'race-paused' } });
    const edited = await createJob({ params: { tag: 'race-before' } });
    await mes.query('UPDATE sys_job SET next_run_at = ? WHERE id IN (?, ?)', [
      sqlTime(new Date(Date.now() - 1000)),
      paused.id,
      edited.id,
    ]);
    const change = async (id: unknown, fields: Record<string, unknown>) => {
      const { version } = await mes.get('admin', `/api/jobs/${String(id)}`);
      const changed = await mes.call('admin', 'PATCH', `/api/jobs/${String(id)}`, { ...fields, version });
      expect(changed.statusCode).toBe(200);
    };
    // This server is the other instance: both jobs change after the racing poll read them due.
    const racing = racingInstance(async () => {
      await change(paused.id, { status: 'PAUSED' });
      await change(edited.id, { params: { tag: 'race-after' } });
    });
    await racing.tick();
    await racing.idle();
    expect(callsOf('race-paused')).toHaveLength(0);
    expect(await mes.get('admin', `/api/jobs/${String(paused.id)}`)).toMatchObject({
      status: 'PAUSED',
      nextRunAt: null,
      runCount: 0,
    });
    expect(callsOf('race-before')).toHaveLength(0);
    expect(callsOf('race-after')).toHaveLength(1);
  });

  it('runs a job now for a holder of job:run_now, 403 for anyone else', async () => {
    const job = await createJob({ params: { tag: 'now' } });
    const denied = await mes.call('operator', 'POST', `/api/jobs/${job.id as number}/run_now`);
    expect(denied.statusCode).toBe(403);
    expect(callsOf('now')).toHaveLength(0);
    const ran = await mes.call('admin', 'POST', `/api/jobs/${job.id as number}/run_now`);
    expect(ran.statusCode).toBe(201);
    expect(ran.json().data).toMatchObject({ lastResult: 'SUCCESS', runCount: 1 });
    expect(callsOf('now')).toHaveLength(1);
    const audit = await mes.query<{ actor_id: unknown }>(
      "SELECT actor_id FROM audit_log WHERE entity_name = 'job' AND record_id = ? AND action = 'UPDATE'",
      [String(job.id)],
    );
    expect(audit.map((entry) => String(entry.actor_id))).toContain(String(mes.userIds.admin));
  });

  it('runs the core audit.verify_chain handler over the real audit trail, failing on a tampered record', async () => {
    const job = await createJob({ handler: 'audit.verify_chain', maxRetries: 0 });
    const ran = await mes.call('admin', 'POST', `/api/jobs/${job.id as number}/run_now`);
    expect(ran.json().data).toMatchObject({ lastResult: 'SUCCESS', lastError: null, runCount: 1 });
    // A sealed record edited behind the engine's back: the next run fails naming it.
    const [sealed] = await mes.query<{ id: number; seq: number | string }>(
      "SELECT id, seq FROM audit_log WHERE seq IS NOT NULL AND entity_name = 'job' ORDER BY seq LIMIT 1",
    );
    await mes.query("UPDATE audit_log SET reason = 'tampered' WHERE id = ?", [sealed.id]);
    try {
      const again = await mes.call('admin', 'POST', `/api/jobs/${job.id as number}/run_now`);
      expect(again.json().data).toMatchObject({ lastResult: 'FAILED', runCount: 2, failureCount: 1 });
      expect(again.json().data.lastError).toMatch(new RegExp(`seq ${Number(sealed.seq)} edited`));
    } finally {
      await mes.query('UPDATE audit_log SET reason = NULL WHERE id = ?', [sealed.id]);
    }
  });

  it('refuses run_now with 409 while a non-concurrent run is going on, for a role granted job:run_now', async () => {
    const job = await createJob({ handler: 'test.block', concurrent: false });
    // The line leader holds no right on jobs until their role is granted job:read and job:run_now.
    expect((await mes.call('leader', 'POST', `/api/jobs/${job.id as number}/run_now`)).statusCode).toBe(403);
    const permissionIds: number[] = [];
    for (const code of ['job:read', 'job:run_now']) {
      const [known] = await mes.query<{ id: number }>(
        "SELECT id FROM sys_permission WHERE tenant_id = 'DEMO' AND permission_code = ?",
        [code],
      );
      permissionIds.push(
        known
          ? Number(known.id)
          : Number(
              (await mes.create('admin', '/api/permissions', { permissionCode: code, permissionName: code }))
                .id,
            ),
      );
    }
    const [role] = await mes.query<{ id: number; version: number }>(
      "SELECT id, version FROM sys_role WHERE tenant_id = 'DEMO' AND role_code = 'line_leader'",
    );
    const granted = await mes.call('admin', 'PATCH', `/api/roles/${role.id}`, {
      version: Number(role.version),
      permissions: permissionIds.map((permissionId) => ({ permissionId })),
    });
    expect(granted.statusCode).toBe(200);
    await mes.signIn('leader');

    entered = false;
    const first = mes.call('leader', 'POST', `/api/jobs/${job.id as number}/run_now`);
    await until('the first run to start', () => Promise.resolve(entered));
    const second = await mes.call('leader', 'POST', `/api/jobs/${job.id as number}/run_now`);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/is running/) });
    release?.();
    expect((await first).statusCode).toBe(201);
    expect((await first).json().data).toMatchObject({ lastResult: 'SUCCESS', runCount: 1 });
    // The one run is audited as the leader's.
    const audit = await mes.query<{ actor_id: unknown }>(
      "SELECT actor_id FROM audit_log WHERE entity_name = 'job' AND record_id = ? AND action = 'UPDATE'",
      [String(job.id)],
    );
    expect(audit.map((entry) => String(entry.actor_id))).toContain(String(mes.userIds.leader));
  });

  it('lists the registered handlers for the handler picker to holders of job:read, 403 for others', async () => {
    const listed = await mes.call('admin', 'GET', '/api/jobs/handlers');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'audit.seal', plugin: null }),
        expect.objectContaining({ name: 'audit.verify_chain', plugin: null }),
        expect.objectContaining({ name: 'test.count', description: 'counts its runs' }),
      ]),
    );
    expect((await mes.call('operator', 'GET', '/api/jobs/handlers')).statusCode).toBe(403);
  });

  it('retries a failing run max_retries times and times a run out after timeout_seconds', async () => {
    const failing = await createJob({ handler: 'test.fail', maxRetries: 1, params: { tag: 'fail' } });
    const failed = await mes.call('admin', 'POST', `/api/jobs/${failing.id as number}/run_now`);
    expect(failed.json().data).toMatchObject({ lastResult: 'FAILED', runCount: 1, failureCount: 1 });
    expect(failed.json().data.lastError).toMatch(/attempt 2 of 2: the handler failed on purpose/);
    expect(callsOf('fail')).toHaveLength(2);
    const slow = await createJob({ handler: 'test.block', timeoutSeconds: 1, maxRetries: 0 });
    const timedOut = await mes.call('admin', 'POST', `/api/jobs/${slow.id as number}/run_now`);
    expect(timedOut.json().data).toMatchObject({ lastResult: 'TIMEOUT', failureCount: 1 });
    expect(timedOut.json().data.lastError).toMatch(/timeout_seconds/);
  });
});
