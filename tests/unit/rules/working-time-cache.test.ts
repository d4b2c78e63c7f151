/**
 * The working time kept per tenant: answered from the cache for a second, dropped by a change
 * committed through the engine, never kept from a read that overlapped such a change or from the
 * transaction that made it.
 */
import type { Model } from '../../../metadata/src/model';
import type { WorkingTime } from '../../../platform/src/bi/calendar-store';
import {
  HookRegistry,
  type AfterHookArgs,
  type InTransactionHookArgs,
} from '../../../platform/src/crud/hooks';
import type { RequestContext } from '../../../platform/src/crud/types';
import type { SqlExecutor } from '../../../platform/src/data/database';
import { WORKING_TIME_TTL_MS, WorkingTimeCache } from '../../../platform/src/rules/working-time-cache';

describe('WorkingTimeCache', () => {
  let clock: number;
  let cache: WorkingTimeCache;
  let hooks: HookRegistry;
  let reads: number;
  const model = {} as Model;
  const ctx = { tenantId: 'DEMO', model } as RequestContext;
  const tx = () => ({}) as SqlExecutor;
  const load = (value: WorkingTime = { calendars: [], shifts: [] }) => {
    return async () => {
      reads += 1;
      return value;
    };
  };
  const change = async (entity: string, changedIn: SqlExecutor) => {
    await hooks.run('inTransaction', {
      entity,
      action: 'update',
      ctx,
      tx: changedIn,
    } as InTransactionHookArgs);
    await hooks.run('after', { entity, action: 'update', ctx } as AfterHookArgs);
  };

  beforeEach(() => {
    clock = 0;
    reads = 0;
    cache = new WorkingTimeCache(() => clock);
    hooks = new HookRegistry();
    cache.register(hooks);
  });

  it('answers from the cache until the time to live has passed', async () => {
    await cache.read(tx(), ctx, load());
    expect(cache.has(tx(), ctx)).toBe(true);
    clock += WORKING_TIME_TTL_MS - 1;
    await cache.read(tx(), ctx, load());
    expect(reads).toBe(1);
    clock += 1;
    expect(cache.has(tx(), ctx)).toBe(false);
    await cache.read(tx(), ctx, load());
    expect(reads).toBe(2);
  });

  it('drops the tenant on a change of a calendar, a calendar day or a shift, not of other entities', async () => {
    for (const entity of ['calendar', 'calendar_day', 'shift']) {
      await cache.read(tx(), ctx, load());
      await change(entity, tx());
      expect(cache.has(tx(), ctx)).toBe(false);
    }
    await cache.read(tx(), ctx, load());
    await change('work_order', tx());
    expect(cache.has(tx(), ctx)).toBe(true);
  });

  it('keeps nothing read by the changing transaction or by a read that overlapped a change', async () => {
    const changing = tx();
    await hooks.run('inTransaction', {
      entity: 'calendar',
      action: 'update',
      ctx,
      tx: changing,
    } as InTransactionHookArgs);
    await cache.read(changing, ctx, load());
    expect(cache.has(tx(), ctx)).toBe(false);

    let finish: (value: WorkingTime) => void = () => undefined;
    const slow = cache.read(tx(), ctx, () => new Promise<WorkingTime>((resolve) => (finish = resolve)));
    await change('shift', tx());
    finish({ calendars: [], shifts: [] });
    await slow;
    expect(cache.has(tx(), ctx)).toBe(false);
  });

  it('does not answer for another model (a published metadata change)', async () => {
    await cache.read(tx(), ctx, load());
    const other = { ...ctx, model: {} as Model } as RequestContext;
    expect(cache.has(tx(), other)).toBe(false);
  });
});
