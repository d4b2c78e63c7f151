/**
 * The maintenance plugin's whole life at runtime, on the real server: install an earlier release
 * (metadata only, plans without a planner, orders without a due date) → enable → use → disable →
 * enable → upgrade to this release (new columns, server code: the schedule and reliability routes)
 * → uninstall keeping the data → uninstall dropping it after a reinstall.
 */
import { join } from 'node:path';
import { tableNames, type TestDialect } from './plugin-harness';
import {
  bootBusinessServer,
  ok,
  PLUGINS_DIR,
  previousRelease,
  type BusinessServer,
  type Call,
} from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number; version: number };
type Generation = { created: string[]; skipped: { planCode: string; reason: string }[] };
const current = join(PLUGINS_DIR, 'maintenance');
const TABLES = [
  'maintenance_plan',
  'maintenance_order',
  'maintenance_task',
  'spare_part_usage',
  'downtime_record',
];

describe.each<TestDialect>(TEST_DIALECTS)('maintenance plugin lifecycle on %s', (dialect) => {
  let env: BusinessServer;
  let admin: Call;
  let release: ReturnType<typeof previousRelease>;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    release = previousRelease('maintenance', '0.9.0', [
      'maintenance-plan.yaml#planner',
      'maintenance-order.yaml#due_at',
    ]);
    env = await bootBusinessServer(dialect, 'maintenance_lifecycle', { withCatalog: false });
    admin = env.as('admin');
    ids.press = ok(
      await admin<Rec>('POST', '/api/equipment', { equipmentCode: 'PRS-11', equipmentName: 'Press 11' }),
    ).id;
  }, 240_000);
  afterAll(async () => {
    await env?.close();
    release?.cleanup();
  });

  const generate = (asOf: string) =>
    admin<Generation>('POST', '/api/plugins/maintenance/preventive-orders/generate', { asOf });
  const reliabilityUrl = () =>
    `/api/plugins/maintenance/equipment/${ids.press}/reliability?from=2026-10-01T00:00:00.000Z&to=2026-10-11T00:00:00.000Z`;

  it('installs and enables the earlier release and uses it: a plan and a breakdown', async () => {
    const installed = await admin<Rec>('POST', '/api/admin/plugins', { source: release.dir });
    expect(installed.status).toBe(201);
    expect(installed.data).toMatchObject({ version: '0.9.0', status: 'installed' });
    expect(await tableNames(env.server)).toEqual(expect.arrayContaining(TABLES));
    expect((await admin('GET', '/api/maintenance-plans')).status).toBe(404);
    expect(ok(await admin<Rec>('POST', '/api/admin/plugins/maintenance/enable')).status).toBe('enabled');

    ids.plan = ok(
      await admin<Rec>('POST', '/api/maintenance-plans', {
        planName: 'Quarterly hydraulics check',
        equipmentId: ids.press,
        triggerType: 'CALENDAR',
        intervalValue: 1,
        intervalUnit: 'QUARTER',
        nextDueAt: '2026-10-05T00:00:00.000Z',
      }),
    ).id;
    ok(
      await admin('POST', '/api/downtime-records', {
        equipmentId: ids.press,
        downtimeType: 'UNPLANNED',
        reasonCategory: 'BREAKDOWN',
        startTime: '2026-10-02T10:00:00.000Z',
        endTime: '2026-10-02T14:00:00.000Z',
      }),
    );
    // No server code in the earlier release: no schedule, no reliability route.
    expect((await generate('2026-10-04T00:00:00.000Z')).status).toBe(404);
  });

  it('disables it: the API answers 404 and the rows stay; enabling serves them again', async () => {
    ok(await admin('POST', '/api/admin/plugins/maintenance/disable'));
    expect((await admin('GET', `/api/maintenance-plans/${ids.plan}`)).status).toBe(404);
    expect((await env.server.dataSource.query('SELECT id FROM downtime_record')) as unknown[]).toHaveLength(
      1,
    );
    ok(await admin('POST', '/api/admin/plugins/maintenance/enable'));
    expect(ok(await admin<Rec>('GET', `/api/maintenance-plans/${ids.plan}`)).planName).toBe(
      'Quarterly hydraulics check',
    );
  });

  it('upgrades to this release: the new columns and the server code work on the old rows', async () => {
    const upgraded = await admin<Rec>('POST', '/api/admin/plugins/maintenance/upgrade', { source: current });
    expect(upgraded.status).toBe(200);
    expect(upgraded.data).toMatchObject({ version: '1.0.0', status: 'enabled' });

    expect(ok(await admin<Record<string, unknown>>('GET', reliabilityUrl()))).toMatchObject({
      failures: 1,
      mttrHours: 4,
      mtbfHours: 236,
    });
    const plan = ok(await admin<Rec>('GET', `/api/maintenance-plans/${ids.plan}`));
    expect(plan.plannerId).toBeNull();
    const withoutRequester = ok(await generate('2026-10-04T00:00:00.000Z'));
    expect(withoutRequester).toMatchObject({
      created: [],
      skipped: [{ planCode: plan.planCode, reason: 'no-requester' }],
    });
    ok(
      await admin('PATCH', `/api/maintenance-plans/${ids.plan}`, {
        plannerId: env.userId('planner'),
        version: plan.version,
      }),
    );
    const created = ok(await generate('2026-10-04T00:00:00.000Z'));
    expect(created.created).toHaveLength(1);
    const [order] = ok(
      await admin<{ items: Rec[] }>('GET', `/api/maintenance-orders?filter[planId]=${ids.plan}`),
    ).items;
    expect(order).toMatchObject({ dueAt: '2026-10-05T00:00:00.000Z', requestedById: env.userId('planner') });
  });

  it('uninstalls keeping the data, and drops it on request after a reinstall', async () => {
    expect((await admin('DELETE', '/api/admin/plugins/maintenance')).status).toBe(204);
    expect((await admin('GET', '/api/maintenance-orders')).status).toBe(404);
    expect((await generate('2026-10-04T00:00:00.000Z')).status).toBe(404);
    expect(await tableNames(env.server)).toEqual(expect.arrayContaining(TABLES));

    ok(await admin('POST', '/api/admin/plugins', { source: current, enable: true }));
    expect(ok(await admin<{ items: Rec[] }>('GET', '/api/maintenance-orders')).items).toHaveLength(1);
    expect((await admin('DELETE', '/api/admin/plugins/maintenance?dropData=true')).status).toBe(204);
    const tables = await tableNames(env.server);
    for (const table of TABLES) expect(tables).not.toContain(table);
    expect(ok(await admin<Rec>('GET', `/api/equipment/${ids.press}`)).equipmentCode).toBe('PRS-11');
  });
});
