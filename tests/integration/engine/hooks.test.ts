import type { Model } from '../../../metadata/src/model';
import { BusinessRuleError, ValidationError } from '../../../platform/src/crud/errors';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry, type AfterHookArgs } from '../../../platform/src/crud/hooks';
import type { RequestContext } from '../../../platform/src/crud/types';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';
import { setSystemFields } from '../../../platform/src/plugins/plugin-entity-helpers';

describe.each(ENGINE_DIALECTS)('write hooks on %s', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase(dialect, 'hooks', model);
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 't', model };
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('runs before, in-transaction and after hooks in order, for the selected entity and action', async () => {
    const afterErrors: unknown[] = [];
    const hooks = new HookRegistry((error) => afterErrors.push(error));
    const service = new EntityService(database.db, hooks);
    const seen: string[] = [];
    hooks.on('before', { entity: 'tag', action: 'create' }, ({ body }) => {
      seen.push('before');
      body.name = String(body.name).toUpperCase();
    });
    hooks.on('inTransaction', { entity: '*', action: '*' }, async ({ tx, record, entity, action }) => {
      seen.push(`inTransaction:${entity}:${action}`);
      const rows = await tx.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM ${tx.dialect.quote('tag')} WHERE id = ?`,
        [record.id],
      );
      expect(Number(rows[0].n)).toBe(1);
    });
    const after: AfterHookArgs[] = [];
    hooks.on('after', { entity: 'tag', action: '*' }, (args) => {
      after.push(args);
      throw new Error('notification service down');
    });
    hooks.on('before', { entity: 'item_type', action: '*' }, () => {
      seen.push('never for tags');
    });

    const tag = await service.create('tag', { name: 'hot' }, ctx);
    expect(tag.name).toBe('HOT');
    expect(seen).toEqual(['before', 'inTransaction:tag:create']);
    expect(after.map((a) => [a.action, a.record.id])).toEqual([['create', tag.id]]);
    expect(afterErrors).toEqual([new Error('notification service down')]);

    await service.update('tag', tag.id as number, { version: 1, name: 'warm' }, ctx);
    expect(after.map((a) => a.action)).toEqual(['create', 'update']);
    expect(after[1].previous).toMatchObject({ name: 'HOT' });
  });

  it('rolls the write back when a hook refuses it, and stops running once removed', async () => {
    const hooks = new HookRegistry();
    const service = new EntityService(database.db, hooks);
    const remove = hooks.on('inTransaction', { entity: 'tag', action: 'create' }, () => {
      throw new BusinessRuleError('tags are frozen');
    });
    await expect(service.create('tag', { name: 'frozen' }, ctx)).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
    });
    const query = service.parseListQuery('tag', { filter: { name: 'frozen' } }, model);
    expect((await service.list('tag', query, ctx)).total).toBe(0);

    const refuseBulk = hooks.on('before', { entity: 'tag', action: 'create' }, ({ body }) => {
      if (body.name === 'bad') throw new BusinessRuleError('no bad tags');
    });
    await expect(
      service.bulk('tag', { mode: 'create', rows: [{ name: 'fine' }, { name: 'bad' }] }, ctx),
    ).rejects.toMatchObject({ code: 'BUSINESS_RULE' });
    expect(
      (await service.list('tag', service.parseListQuery('tag', { filter: { name: 'fine' } }, model), ctx))
        .total,
    ).toBe(0);

    remove();
    refuseBulk();
    expect(hooks.has('inTransaction', 'tag', 'create')).toBe(false);
    expect((await service.create('tag', { name: 'frozen' }, ctx)).name).toBe('frozen');
  });

  it('checks the references a before hook sets, not those the body came with', async () => {
    const service = new EntityService(database.db, new HookRegistry());
    const itemType = await service.create('item_type', { code: 'HK-T', name: 'Hook type' }, ctx);
    const item = await service.create('item_master', { name: 'Hook item', itemTypeId: itemType.id }, ctx);
    const sent = await service.create('production_line', { lineCode: 'HK1', name: 'Sent' }, ctx);
    const moved = await service.create('production_line', { lineCode: 'HK2', name: 'Moved to' }, ctx);
    const order = { itemId: item.id, lineId: sent.id, quantity: 1, plannedStart: '2026-12-01T08:00:00Z' };
    const hooks = new HookRegistry();
    let lineId: unknown = moved.id;
    hooks.on('before', { entity: 'work_order', action: 'create' }, ({ body }) => {
      body.lineId = lineId;
    });
    const hooked = new EntityService(database.db, hooks);
    const created = await hooked.create('work_order', order, ctx);
    // Numbered along the line the hook set, which the check read.
    expect(created).toMatchObject({ lineId: moved.id, woNo: expect.stringMatching(/^WO-HK2-/) });
    lineId = 999_999;
    await expect(hooked.create('work_order', order, ctx)).rejects.toMatchObject({
      details: { errors: [expect.objectContaining({ path: '/lineId', rule: 'exists' })] },
    });

    // A bulk row in the same order: before hooks, then the checks of the body they leave.
    lineId = moved.id;
    const bulk = await hooked.bulk('work_order', { mode: 'create', rows: [order] }, ctx);
    expect(await hooked.get('work_order', bulk.ids[0]!, ctx)).toMatchObject({ lineId: moved.id });
    lineId = 999_999;
    await expect(hooked.bulk('work_order', { mode: 'create', rows: [order] }, ctx)).rejects.toMatchObject({
      details: {
        rows: [
          expect.objectContaining({
            row: 0,
            errors: [expect.objectContaining({ path: '/rows/0/lineId', rule: 'exists' })],
          }),
        ],
      },
    });
  });

  it('runs hooks stage by stage (HOOK_STAGES), within a stage in order of registration', async () => {
    const hooks = new HookRegistry();
    const service = new EntityService(database.db, hooks);
    const seen: string[] = [];
    const selector = { entity: 'tag', action: 'create' } as const;
    const push = (name: string) => () => void seen.push(name);
    hooks.on('inTransaction', selector, push('domain 1'));
    const removeRecord = hooks.on('inTransaction', selector, push('record'), { stage: 'record' });
    hooks.inStage('plugin').on('inTransaction', selector, push('plugin'));
    hooks.inStage('automation').on('inTransaction', selector, push('automation'));
    hooks.on('inTransaction', selector, push('domain 2'));
    hooks.on('inTransaction', selector, push('guard'), { stage: 'guard' });
    await service.create('tag', { name: 'ordered' }, ctx);
    expect(seen).toEqual(['guard', 'domain 1', 'domain 2', 'automation', 'plugin', 'record']);

    removeRecord();
    hooks.on('inTransaction', selector, push('domain 3'));
    seen.length = 0;
    await service.create('tag', { name: 'ordered-again' }, ctx);
    expect(seen).toEqual(['guard', 'domain 1', 'domain 2', 'domain 3', 'automation', 'plugin']);
  });

  it('lets hooks read and open nested transactions without deadlocking', async () => {
    const hooks = new HookRegistry();
    const service = new EntityService(database.db, hooks);
    const counter = await service.create('tag', { name: 'counter' }, ctx);
    const seen: number[] = [];
    hooks.on('inTransaction', { entity: 'tag', action: 'create' }, async () => {
      const rows = await database.db.executor().query<{ n: number }>('SELECT COUNT(*) AS n FROM tag');
      seen.push(Number(rows[0].n));
      await database.db.transaction((inner) =>
        inner.execute('UPDATE tag SET name = ? WHERE id = ?', ['counted', counter.id]),
      );
    });
    await service.create('tag', { name: 'outer' }, ctx);
    expect(seen).toHaveLength(1);
    expect((await service.get('tag', counter.id as number, ctx)).name).toBe('counted');
  });

  it('runs the hooks of every row a plugin sets system fields on, as an engine update', async () => {
    const hooks = new HookRegistry();
    const service = new EntityService(database.db, hooks);
    const first = await service.create('tag', { name: 'derived' }, ctx);
    const second = await service.create('tag', { name: 'derived' }, ctx);
    const seen: { phase: string; id: unknown; previous: unknown; name: unknown; access: boolean }[] = [];
    for (const phase of ['before', 'inTransaction', 'after'] as const)
      hooks.on(phase, { entity: 'tag', action: 'update' }, (args) => {
        const record = 'record' in args ? args.record : { id: args.id, ...args.body };
        const previous = 'previous' in args ? args.previous : args.current;
        seen.push({
          phase,
          id: record.id,
          previous: (previous as { name?: unknown } | null)?.name,
          name: record.name,
          access: args.ctx.access !== undefined,
        });
      });
    const scoped: RequestContext = {
      ...ctx,
      access: { rowScope: () => null, referenceScope: () => null, checkFields: () => undefined },
    };
    await service.transaction((tx) =>
      setSystemFields(service, tx, scoped, 'tag', { name: 'derived' }, { name: 'rolled up' }),
    );
    const change = (phase: string, id: unknown) => ({
      phase,
      id,
      previous: 'derived',
      name: 'rolled up',
      access: false,
    });
    expect(seen).toEqual([
      change('before', first.id),
      change('inTransaction', first.id),
      change('before', second.id),
      change('inTransaction', second.id),
      change('after', first.id),
      change('after', second.id),
    ]);
    expect(await service.get('tag', second.id as number, ctx)).toMatchObject({
      name: 'rolled up',
      version: 2,
    });
  });

  it('runs the hooks of child rows written through their parent, and lets a child before hook refuse its row', async () => {
    const afterErrors: unknown[] = [];
    const hooks = new HookRegistry((error) => afterErrors.push(error));
    const service = new EntityService(database.db, hooks);
    const child = { entity: 'inspection_result', action: '*' } as const;
    const before: { action: string; id: number | null; path?: string; current: unknown; body: unknown }[] =
      [];
    hooks.on('before', child, ({ action, id, nested, current, body }) => {
      if (body.characteristic === 'forbidden') throw new BusinessRuleError('not measured here');
      if (typeof body.characteristic === 'string') body.characteristic = body.characteristic.toUpperCase();
      before.push({
        action,
        id,
        path: nested?.path,
        current: current?.characteristic,
        body: body.characteristic,
      });
    });
    const inTransaction: string[] = [];
    hooks.on('inTransaction', child, ({ action, record, nested }) => {
      inTransaction.push(`${action}:${String(record.characteristic)}:${String(nested?.parent.entity)}`);
    });
    const after: { action: string; id: unknown; value: unknown; previous: unknown }[] = [];
    hooks.on('after', child, ({ action, record, previous }) => {
      after.push({ action, id: record.id, value: record.value, previous: previous?.value ?? null });
    });
    // The writers of the change (audit, outbox) see the parent's change only: it carries its rows.
    const recorded: string[] = [];
    hooks.on(
      'inTransaction',
      { entity: '*', action: '*' },
      ({ entity, action }) => void recorded.push(`${entity}:${action}`),
      {
        stage: 'record',
      },
    );

    const created = await service.create(
      'inspection',
      {
        results: [
          { seq: 1, characteristic: 'length', value: 1 },
          { seq: 2, characteristic: 'width' },
        ],
      },
      ctx,
    );
    const [length, width] = created.results as { id: number; characteristic: string }[];
    expect(created.results).toMatchObject([{ characteristic: 'LENGTH' }, { characteristic: 'WIDTH' }]);
    expect(before).toEqual([
      { action: 'create', id: null, path: '/results/0', current: undefined, body: 'LENGTH' },
      { action: 'create', id: null, path: '/results/1', current: undefined, body: 'WIDTH' },
    ]);
    expect(inTransaction).toEqual(['create:LENGTH:inspection', 'create:WIDTH:inspection']);
    expect(after).toEqual([
      { action: 'create', id: length!.id, value: 1, previous: null },
      { action: 'create', id: width!.id, value: null, previous: null },
    ]);
    expect(recorded).toEqual(['inspection:create']);

    before.length = 0;
    inTransaction.length = 0;
    after.length = 0;
    recorded.length = 0;
    const updated = await service.update(
      'inspection',
      created.id as number,
      {
        version: 1,
        results: [
          { id: length!.id, seq: 1, characteristic: 'length', value: 2 },
          { seq: 3, characteristic: 'height' },
        ],
      },
      ctx,
    );
    const height = (updated.results as { id: number; characteristic: string }[]).find(
      (r) => r.characteristic === 'HEIGHT',
    );
    expect(before).toEqual([
      { action: 'update', id: length!.id, path: '/results/0', current: 'LENGTH', body: 'LENGTH' },
      { action: 'delete', id: width!.id, path: '/results', current: 'WIDTH', body: undefined },
      { action: 'create', id: null, path: '/results/1', current: undefined, body: 'HEIGHT' },
    ]);
    expect(inTransaction).toEqual([
      'update:LENGTH:inspection',
      'delete:WIDTH:inspection',
      'create:HEIGHT:inspection',
    ]);
    expect(after).toEqual([
      { action: 'update', id: length!.id, value: 2, previous: 1 },
      { action: 'delete', id: width!.id, value: null, previous: null },
      { action: 'create', id: height!.id, value: null, previous: null },
    ]);
    expect(recorded).toEqual(['inspection:update']);
    expect(afterErrors).toEqual([]);

    // A refused row fails the parent's change, named at its place in the body; nothing is written.
    await expect(
      service.update(
        'inspection',
        created.id as number,
        {
          version: 2,
          results: [
            { id: length!.id, seq: 1, characteristic: 'length' },
            { seq: 4, characteristic: 'forbidden' },
          ],
        },
        ctx,
      ),
    ).rejects.toMatchObject({
      code: 'BUSINESS_RULE',
      httpStatus: 422,
      details: {
        errors: [{ field: 'results', path: '/results/1', rule: 'refused', message: 'not measured here' }],
      },
    });
    expect(await service.get('inspection', created.id as number, ctx)).toMatchObject({
      version: 2,
      results: [{ characteristic: 'LENGTH', value: 2 }, { characteristic: 'HEIGHT' }],
    });

    // A hook's field errors are named under the row, a bulk row's children under that row.
    hooks.on('before', child, ({ body }) => {
      if (typeof body.value === 'number' && body.value < 0)
        throw new ValidationError([
          { field: 'value', path: '/value', rule: 'min', message: 'value below 0' },
        ]);
    });
    const negative = {
      id: created.id,
      version: 2,
      results: [{ seq: 5, characteristic: 'depth', value: -1 }],
    };
    await expect(service.bulk('inspection', { mode: 'update', rows: [negative] }, ctx)).rejects.toMatchObject(
      {
        code: 'VALIDATION_FAILED',
        details: { errors: [{ field: 'value', path: '/rows/0/results/0/value', rule: 'min' }] },
      },
    );
  });
});
