/**
 * The widget result cache on the in-process live channel: a result is served again only to the same
 * tenant and principal (user, roles, row-scope units) under the same filters; a change announced for an entity in one tenant
 * drops the results that read it there and nowhere else; results expire.
 */
import { compileModel } from '../../../metadata/src/model';
import type { MetadataSet } from '../../../metadata/src/types';
import { BI_CHANGED, WidgetCache, type CacheCaller } from '../../../platform/src/bi/widget-cache';
import type { SharedFilters } from '../../../platform/src/bi/widget-query';
import { createLiveChannel } from '../../../platform/src/events/live-channel';

const model = compileModel(
  {
    modules: new Map(),
    entities: new Map(),
    forms: new Map(),
    workflows: new Map(),
    dashboards: new Map(),
    rules: new Map(),
    roles: new Map(),
    permissions: new Map(),
    menus: new Map(),
    plugins: new Map(),
    sources: new Map(),
  } as MetadataSet,
  { version: 1 },
);

const filters: SharedFilters = {
  plantId: null,
  lineId: null,
  shiftId: null,
  from: null,
  to: null,
  timeZone: 'UTC',
};
const caller = (tenantId: string, userId: string, roles = ['production_planner']): CacheCaller => ({
  tenantId,
  principal: {
    userId,
    username: `user${userId}`,
    tenantId,
    roles,
    grantedPermissions: [],
    departmentIds: [],
    departmentTreeIds: [],
    lineIds: [],
    plantIds: [],
    supplierId: null,
  },
  model,
});

describe('WidgetCache', () => {
  const live = createLiveChannel(null, 'test', () => undefined);
  // A real clock never reads 0, and lru-cache takes a start time of 0 for "no time recorded".
  let clock = 1_000_000;
  const cache = new WidgetCache(live, { ttlMs: 1_000, now: () => clock });
  let computed = 0;
  const read = (who: CacheCaller, widget = 'w1', options: Partial<SharedFilters> = {}) =>
    cache.get(who, widget, { ...filters, ...options }, ['work_report', 'production_line'], () =>
      Promise.resolve(++computed),
    );

  afterAll(() => live.close());

  it('serves a result again only to the same tenant, user, roles and filters', async () => {
    const first = await read(caller('A', '1'));
    expect(await read(caller('A', '1'))).toBe(first);
    expect(await read(caller('B', '1'))).not.toBe(first);
    expect(await read(caller('A', '2'))).not.toBe(first);
    expect(await read(caller('A', '1', ['operator']))).not.toBe(first);
    // Another line for the same user (a `line` row scope reads it): computed afresh.
    const moved = caller('A', '1');
    moved.principal.lineIds = [7];
    expect(await read(moved)).not.toBe(first);
    expect(await read(caller('A', '1'), 'w1', { lineId: 3 })).not.toBe(first);
    expect(await read(caller('A', '1'), 'w2')).not.toBe(first);
    expect(computed).toBe(7);
  });

  it('drops what a change reads in its tenant only, as announced on the live channel', async () => {
    const a = await read(caller('A', '1'));
    const b = await read(caller('B', '1'));
    await live.publish(BI_CHANGED, {
      event: 'bi.changed',
      data: { tenantId: 'A', entity: 'production_line' },
    });
    expect(await read(caller('A', '1'))).not.toBe(a);
    expect(await read(caller('B', '1'))).toBe(b);
    // A change to an entity the widget does not read keeps the result.
    const again = await read(caller('A', '1'));
    await live.publish(BI_CHANGED, { event: 'bi.changed', data: { tenantId: 'A', entity: 'ncr' } });
    expect(await read(caller('A', '1'))).toBe(again);
  });

  it('computes an expired result again', async () => {
    const before = await read(caller('C', '1'));
    clock += 1_001;
    expect(await read(caller('C', '1'))).not.toBe(before);
  });

  it('keeps at most maxEntries results, dropping the least recently used', async () => {
    const small = new WidgetCache(live, { ttlMs: 1_000, maxEntries: 2, now: () => clock });
    let runs = 0;
    const get = (widget: string) =>
      small.get(caller('D', '1'), widget, filters, ['work_report'], () => Promise.resolve(++runs));
    const w1 = await get('w1');
    const w2 = await get('w2');
    // Reading w1 makes w2 the least recently used, so a third result pushes w2 out.
    expect(await get('w1')).toBe(w1);
    await get('w3');
    expect(await get('w1')).toBe(w1);
    expect(await get('w2')).not.toBe(w2);
    expect(runs).toBe(4);
  });
});
