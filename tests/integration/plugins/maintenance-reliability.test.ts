/**
 * MTBF and MTTR of one equipment on a known data set, through the real server: downtime records get
 * their duration, records reaching into the window are clipped, overlapping downtime counts once,
 * only breakdowns that started in the window are failures.
 */
import type { TestDialect } from './plugin-harness';
import { bootBusinessServer, ok, type BusinessServer, type Call } from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number };

describe.each<TestDialect>(TEST_DIALECTS)('MTBF and MTTR on %s', (dialect) => {
  let env: BusinessServer;
  let planner: Call;
  let pressId: number;
  let idleId: number;

  beforeAll(async () => {
    env = await bootBusinessServer(dialect, 'maintenance_reliability');
    const admin = env.as('admin');
    ok(await admin('POST', '/api/admin/plugins', { source: 'maintenance', enable: true }));
    await env.addUser('planner1', ['maintenance_planner']);
    planner = env.as('planner1');
    pressId = ok(
      await admin<Rec>('POST', '/api/equipment', { equipmentCode: 'PRS-07', equipmentName: 'Press 7' }),
    ).id;
    idleId = ok(
      await admin<Rec>('POST', '/api/equipment', { equipmentCode: 'PRS-08', equipmentName: 'Press 8' }),
    ).id;
  }, 240_000);
  afterAll(async () => {
    await env?.close();
  });

  const record = (reasonCategory: string, startTime: string, endTime: string, equipmentId = pressId) =>
    planner<Rec>('POST', '/api/downtime-records', {
      equipmentId,
      downtimeType: reasonCategory === 'BREAKDOWN' ? 'UNPLANNED' : 'PLANNED',
      reasonCategory,
      startTime,
      endTime,
    });
  const reliability = (equipmentId: number, from: string, to: string) =>
    planner<Record<string, unknown>>(
      'GET',
      `/api/plugins/maintenance/equipment/${equipmentId}/reliability?from=${from}&to=${to}`,
    );

  it('derives each downtime duration and refuses an end before the start', async () => {
    const first = ok(await record('BREAKDOWN', '2026-01-02T08:00:00.000Z', '2026-01-02T10:00:00.000Z'));
    expect(first.durationMinutes).toBe(120);
    const backwards = await record('BREAKDOWN', '2026-01-03T10:00:00.000Z', '2026-01-03T09:00:00.000Z');
    expect(backwards.status).toBe(422);
    expect(backwards.body).toMatchObject({
      errors: [expect.objectContaining({ field: 'endTime', rule: 'after-start' })],
    });
  });

  it('computes MTBF and MTTR over a 10-day window', async () => {
    // Window 1–11 Jan 2026 = 240 h. Failures in it: 2 h (2 Jan, above) and 4 h (5 Jan). A breakdown
    // from 31 Dec 22:00 to 1 Jan 01:00 started before the window: 1 h of downtime in it, no failure
    // of this window. Planned maintenance 8 Jan 00:00–06:00, and a changeover overlapping it by 1 h
    // (05:00–07:00): 7 h of planned downtime. Operating time = 240 − (1 + 2 + 4 + 7) = 226 h.
    ok(await record('BREAKDOWN', '2026-01-05T12:00:00.000Z', '2026-01-05T16:00:00.000Z'));
    ok(await record('BREAKDOWN', '2025-12-31T22:00:00.000Z', '2026-01-01T01:00:00.000Z'));
    ok(await record('PLANNED_MAINTENANCE', '2026-01-08T00:00:00.000Z', '2026-01-08T06:00:00.000Z'));
    ok(await record('SETUP', '2026-01-08T05:00:00.000Z', '2026-01-08T07:00:00.000Z'));
    ok(await record('BREAKDOWN', '2026-01-20T00:00:00.000Z', '2026-01-20T05:00:00.000Z'));
    ok(await record('BREAKDOWN', '2026-01-04T00:00:00.000Z', '2026-01-04T09:00:00.000Z', idleId));

    const result = ok(await reliability(pressId, '2026-01-01T00:00:00.000Z', '2026-01-11T00:00:00.000Z'));
    expect(result).toEqual({
      equipmentId: pressId,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-11T00:00:00.000Z',
      failures: 2,
      operatingHours: 226,
      repairHours: 6,
      mtbfHours: 113,
      mttrHours: 3,
      availability: 94.17,
    });
  });

  it('reports no MTBF or MTTR without failures, and refuses a window that ends before it starts', async () => {
    const quiet = ok(await reliability(pressId, '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z'));
    expect(quiet).toMatchObject({
      failures: 0,
      operatingHours: 24,
      mtbfHours: null,
      mttrHours: null,
      availability: 100,
    });
    const backwards = await reliability(pressId, '2026-02-02T00:00:00.000Z', '2026-02-01T00:00:00.000Z');
    expect(backwards.status).toBe(422);
  });
});
