import type { Model } from '../../../metadata/src/model';
import { ApiError } from '../../../platform/src/crud/errors';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, ListQuery, RequestContext } from '../../../platform/src/crud/types';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/** The ApiError a promise rejects with (fails the test when it resolves or throws something else). */
async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe.each(ENGINE_DIALECTS)('EntityService on %s', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let service: EntityService;
  let ctx: RequestContext;
  let other: RequestContext;
  const ids: Record<string, number> = {};

  const list = (entity: string, raw: Record<string, unknown>, context = ctx) =>
    service.list(entity, service.parseListQuery(entity, raw, model), context);
  const codes = async (raw: Record<string, unknown>) =>
    (await list('work_order', { pageSize: '500', count: 'none', ...raw })).items.map((r) => r.remark);

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase(dialect, 'crud', model);
    service = new EntityService(database.db);
    ctx = { tenantId: 'T1', userId: 'alice', traceId: 'trace-1', model };
    other = { ...ctx, tenantId: 'T2', userId: 'bob' };
    const types = await service.bulk(
      'item_type',
      {
        mode: 'create',
        rows: [
          { code: 'RAW', name: 'Raw material' },
          { code: 'FG', name: 'Finished good' },
        ],
      },
      ctx,
    );
    [ids.raw, ids.fg] = types.ids;
    const lines = await service.bulk(
      'production_line',
      {
        mode: 'create',
        rows: [
          { lineCode: 'A01', name: 'Line A1' },
          { lineCode: 'B02', name: 'Line B2' },
        ],
      },
      ctx,
    );
    [ids.a01, ids.b02] = lines.ids;
    const items = await service.bulk(
      'item_master',
      {
        mode: 'create',
        rows: [
          { name: 'Steel sheet', itemTypeId: ids.raw, unitCost: 12.5, color: 'grey', shelfLife: 365 },
          { name: 'Gearbox', itemTypeId: ids.fg, unitCost: 250, color: 'blue', shelfLife: 30 },
          { name: 'Bolt M8', itemTypeId: ids.raw, unitCost: 0.1, shelfLife: 1000 },
        ],
      },
      ctx,
    );
    [ids.steel, ids.gearbox, ids.bolt] = items.ids;
    const tags = await service.bulk(
      'tag',
      { mode: 'create', rows: [{ name: 'urgent' }, { name: 'export' }] },
      ctx,
    );
    [ids.urgent, ids.export] = tags.ids;
  });

  afterAll(async () => {
    await database?.drop();
  });

  describe('create and read', () => {
    it('generates identifiers, applies defaults and returns the stored record', async () => {
      const wo = await service.create(
        'work_order',
        {
          itemId: ids.gearbox,
          lineId: ids.a01,
          quantity: 10.5,
          plannedStart: '2026-03-01T08:00:00Z',
          dueDate: '2026-03-05',
          tagsIds: [ids.urgent, ids.export],
        },
        ctx,
      );
      expect(wo).toMatchObject({
        woNo: 'WO-A01-0001',
        itemId: ids.gearbox,
        lineId: ids.a01,
        quantity: 10.5,
        plannedStart: '2026-03-01T08:00:00.000Z',
        dueDate: '2026-03-05',
        status: 'DRAFT',
        version: 1,
        createdBy: 'alice',
        deletedAt: null,
        tagsIds: [ids.urgent, ids.export].sort((a, b) => a - b),
      });
      const byKey = await service.getByKey('work_order', 'WO-A01-0001', ctx, { expand: ['item'] });
      expect(byKey.id).toBe(wo.id);
      expect(byKey.item).toMatchObject({ id: ids.gearbox, name: 'Gearbox', code: 'ITM-00002' });
      await expect(service.get('work_order', wo.id as number, other)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('reports every failing field with path, rule and limit (422)', async () => {
      const error = await apiError(
        service.create(
          'work_order',
          {
            itemId: ids.gearbox,
            quantity: 0,
            plannedStart: 'tomorrow',
            status: 'DONE',
            priority: 12,
            remark: 'x'.repeat(201),
          },
          ctx,
        ),
      );
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.httpStatus).toBe(422);
      const byPath = Object.fromEntries((error.details?.errors ?? []).map((e) => [e.path, e]));
      expect(byPath['/lineId']).toMatchObject({ rule: 'required' });
      expect(byPath['/quantity']).toMatchObject({ rule: 'exclusiveMinimum', limit: 0 });
      expect(byPath['/plannedStart']).toMatchObject({ rule: 'format', limit: 'date-time' });
      expect(byPath['/status']).toMatchObject({ rule: 'enum' });
      expect(byPath['/priority']).toMatchObject({ rule: 'maximum', limit: 9 });
      expect(byPath['/remark']).toMatchObject({ rule: 'maxLength', limit: 200 });
    });

    it('rejects read-only fields (422) and unknown fields (400)', async () => {
      const base = { itemId: ids.bolt, lineId: ids.a01, quantity: 1, plannedStart: '2026-03-01T08:00:00Z' };
      const readonly = await apiError(service.create('work_order', { ...base, woNo: 'MINE' }, ctx));
      expect(readonly.httpStatus).toBe(422);
      expect(readonly.details?.errors).toEqual([
        expect.objectContaining({ field: 'woNo', rule: 'readonly' }),
      ]);
      const unknown = await apiError(service.create('work_order', { ...base, colour: 'red' }, ctx));
      expect(unknown).toMatchObject({ code: 'UNKNOWN_FIELD', httpStatus: 400 });
      const notObject = await apiError(service.create('work_order', [] as unknown as EntityRecord, ctx));
      expect(notObject.httpStatus).toBe(422);
    });

    it('enforces requiredWhen on create, update and bulk against the record as it will be stored', async () => {
      const base = { itemId: ids.bolt, lineId: ids.a01, quantity: 1, plannedStart: '2026-03-01T08:00:00Z' };
      const urgent = await apiError(service.create('work_order', { ...base, priority: 9 }, ctx));
      expect(urgent.httpStatus).toBe(422);
      expect(urgent.details?.errors).toEqual([
        expect.objectContaining({
          field: 'dueDate',
          path: '/dueDate',
          rule: 'requiredWhen',
          limit: 'priority >= 9',
        }),
      ]);
      const dated = await service.create('work_order', { ...base, priority: 9, dueDate: '2026-03-09' }, ctx);
      expect(dated.dueDate).toBe('2026-03-09');

      const plain = await service.create('work_order', { ...base, priority: 3 }, ctx);
      const raised = await apiError(
        service.update('work_order', plain.id as number, { priority: 9, version: plain.version }, ctx),
      );
      expect(raised.details?.errors).toEqual([
        expect.objectContaining({ path: '/dueDate', rule: 'requiredWhen' }),
      ]);
      const cleared = await apiError(
        service.update('work_order', dated.id as number, { dueDate: null, version: dated.version }, ctx),
      );
      expect(cleared.details?.errors).toEqual([
        expect.objectContaining({ path: '/dueDate', rule: 'requiredWhen' }),
      ]);

      const bulk = await apiError(
        service.bulk(
          'work_order',
          {
            mode: 'create',
            rows: [
              { ...base, priority: 2 },
              { ...base, priority: 9 },
            ],
          },
          ctx,
        ),
      );
      expect(bulk.details?.rows).toEqual([
        expect.objectContaining({
          row: 1,
          errors: [expect.objectContaining({ path: '/rows/1/dueDate', rule: 'requiredWhen' })],
        }),
      ]);
      const bulkUpdate = await apiError(
        service.bulk(
          'work_order',
          { mode: 'update', rows: [{ id: plain.id, priority: 9, version: plain.version }] },
          ctx,
        ),
      );
      expect(bulkUpdate.details?.rows?.[0]?.errors).toEqual([
        expect.objectContaining({ path: '/rows/0/dueDate', rule: 'requiredWhen' }),
      ]);
    });

    it('resolves $user, $now and $today defaults at write time, and refuses $user without a user', async () => {
      const before = Date.now();
      const txn = await service.create('stock_txn', { qty: 2 }, ctx);
      expect(txn.bookedBy).toBe('alice');
      expect(Date.parse(txn.bookedAt as string)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(txn.bookedOn).toBe(new Date().toISOString().slice(0, 10));
      const named = await service.create('stock_txn', { qty: 2, bookedBy: 'carol' }, ctx);
      expect(named.bookedBy).toBe('carol');
      const anonymous = await apiError(service.create('stock_txn', { qty: 2 }, { ...ctx, userId: null }));
      expect(anonymous.details?.errors).toEqual([
        expect.objectContaining({ field: 'bookedBy', path: '/bookedBy', rule: 'required' }),
      ]);
    });

    it('checks that related rows exist in the same tenant', async () => {
      const foreignItem = await service.create('item_type', { code: 'T2TYPE', name: 'Other tenant' }, other);
      const error = await apiError(
        service.create('item_master', { name: 'Ghost', itemTypeId: foreignItem.id as number }, ctx),
      );
      expect(error.httpStatus).toBe(422);
      expect(error.details?.errors).toEqual([
        expect.objectContaining({ path: '/itemTypeId', rule: 'exists', limit: 'item_type' }),
      ]);
    });

    it('maps unique violations to 409 DUPLICATE_VALUE naming the field', async () => {
      const error = await apiError(service.create('item_type', { code: 'RAW', name: 'again' }, ctx));
      expect(error).toMatchObject({ code: 'DUPLICATE_VALUE', httpStatus: 409 });
      expect(error.details?.errors?.[0]).toMatchObject({ field: 'code', rule: 'unique' });
      expect(error.message).toBe("code 'RAW' already exists");
      const sameCodeOtherTenant = await service.create('item_type', { code: 'RAW', name: 'T2 raw' }, other);
      expect(sameCodeOtherTenant.code).toBe('RAW');
    });
  });

  describe('list', () => {
    const start = (day: number) => `2026-04-${String(day).padStart(2, '0')}T06:00:00Z`;
    beforeAll(async () => {
      const rows = [
        {
          remark: 'r1',
          itemId: ids.steel,
          lineId: ids.a01,
          quantity: 5,
          status: 'RELEASED',
          priority: 1,
          plannedStart: start(1),
        },
        {
          remark: 'r2',
          itemId: ids.gearbox,
          lineId: ids.a01,
          quantity: 15,
          status: 'RELEASED',
          priority: 2,
          plannedStart: start(2),
        },
        {
          remark: 'r3',
          itemId: ids.bolt,
          lineId: ids.b02,
          quantity: 25,
          status: 'IN_PROGRESS',
          priority: 3,
          plannedStart: start(3),
        },
        {
          remark: 'r4 hot_lot 100%',
          itemId: ids.gearbox,
          lineId: ids.b02,
          quantity: 35,
          status: 'COMPLETED',
          plannedStart: start(4),
        },
        {
          remark: 'r5',
          itemId: ids.steel,
          lineId: ids.a01,
          quantity: 45,
          status: 'CANCELLED',
          priority: 5,
          plannedStart: start(5),
        },
      ];
      await service.bulk('work_order', { mode: 'create', rows }, ctx);
    });

    it('supports every filter operator', async () => {
      const f = (filter: Record<string, unknown>) => codes({ filter, sort: 'remark' });
      expect(await f({ status: { eq: 'RELEASED' } })).toEqual(['r1', 'r2']);
      expect(await f({ status: 'RELEASED' })).toEqual(['r1', 'r2']);
      expect(await f({ status: { ne: 'RELEASED' }, remark: { notNull: true } })).toEqual([
        'r3',
        'r4 hot_lot 100%',
        'r5',
      ]);
      expect(await f({ quantity: { gt: '15' } })).toEqual(['r3', 'r4 hot_lot 100%', 'r5']);
      expect(await f({ quantity: { gte: '15' } })).toEqual(['r2', 'r3', 'r4 hot_lot 100%', 'r5']);
      expect(await f({ quantity: { lt: '15' }, remark: { notNull: true } })).toEqual(['r1']);
      expect(await f({ quantity: { lte: '15' }, remark: { notNull: true } })).toEqual(['r1', 'r2']);
      expect(await f({ status: { in: 'RELEASED,COMPLETED' } })).toEqual(['r1', 'r2', 'r4 hot_lot 100%']);
      expect(await f({ status: { nin: ['RELEASED', 'COMPLETED', 'DRAFT'] } })).toEqual(['r3', 'r5']);
      expect(await f({ remark: { contains: '_lot 100%' } })).toEqual(['r4 hot_lot 100%']);
      expect(await f({ remark: { contains: '%' } })).toEqual(['r4 hot_lot 100%']);
      expect(await f({ remark: { startsWith: 'r4' } })).toEqual(['r4 hot_lot 100%']);
      expect(await f({ plannedStart: { between: `${start(2)},${start(4)}` } })).toEqual([
        'r2',
        'r3',
        'r4 hot_lot 100%',
      ]);
      expect(await f({ priority: { null: true }, remark: { notNull: true } })).toEqual(['r4 hot_lot 100%']);
      expect(await f({ priority: { notNull: true }, remark: { startsWith: 'r' } })).toEqual([
        'r1',
        'r2',
        'r3',
        'r5',
      ]);
      expect(await f({ lineId: ids.b02 })).toEqual(['r3', 'r4 hot_lot 100%']);
    });

    it('filters through relations by dot path', async () => {
      expect(
        await codes({ filter: { 'item.itemType.code': 'FG', remark: { notNull: true } }, sort: 'remark' }),
      ).toEqual(['r2', 'r4 hot_lot 100%']);
      expect(await codes({ filter: { 'line.lineCode': { eq: 'B02' } }, sort: 'remark' })).toEqual([
        'r3',
        'r4 hot_lot 100%',
      ]);
      expect(await codes({ filter: { 'item.name': { startsWith: 'Ste' } }, sort: 'remark' })).toEqual([
        'r1',
        'r5',
      ]);
    });

    it('combines and/or groups from a JSON filter', async () => {
      const filter = JSON.stringify({
        or: [{ status: { eq: 'CANCELLED' } }, { and: [{ status: 'RELEASED' }, { quantity: { gt: 10 } }] }],
      });
      expect(await codes({ filter, sort: 'remark' })).toEqual(['r2', 'r5']);
    });

    it('rejects unknown names and malformed values with 400', async () => {
      const parse = (raw: Record<string, unknown>) => () => service.parseListQuery('work_order', raw, model);
      expect(parse({ filter: { colour: 'red' } })).toThrow(
        expect.objectContaining({ code: 'UNKNOWN_FIELD', httpStatus: 400 }),
      );
      expect(parse({ filter: { 'item.secret': 'x' } })).toThrow(
        expect.objectContaining({ code: 'UNKNOWN_FIELD' }),
      );
      expect(parse({ sort: 'nope' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_FIELD' }));
      expect(parse({ fields: 'woNo,nope' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_FIELD' }));
      expect(parse({ expand: 'quantity' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_FIELD' }));
      expect(parse({ filter: { status: { like: 'x' } } })).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
      expect(parse({ filter: { quantity: { gt: 'many' } } })).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
      expect(parse({ filter: { status: 'DONE' } })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ filter: '{"or": 1}' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ filter: '{oops' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ pageSize: '501' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ page: '0' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ count: 'some' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
      expect(parse({ quantity: '1' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    });

    it('sorts by several fields and searches the list view search fields', async () => {
      const sorted = await list('work_order', {
        sort: 'lineId,-quantity',
        filter: { remark: { notNull: true } },
        count: 'none',
      });
      expect(sorted.items.map((r) => r.remark)).toEqual(['r5', 'r2', 'r1', 'r4 hot_lot 100%', 'r3']);
      expect(await codes({ search: 'hot_lot' })).toEqual(['r4 hot_lot 100%']);
      expect(await codes({ search: 'WO-B02', sort: 'remark' })).toEqual(['r3', 'r4 hot_lot 100%']);
      const defaultSort = await list('work_order', { filter: { remark: { notNull: true } }, count: 'none' });
      expect(defaultSort.items.map((r) => r.remark)[0]).toBe('r5');
    });

    it('counts exactly, estimates, or skips the count', async () => {
      const exact = await list('work_order', { filter: { status: 'RELEASED' } });
      expect(exact.total).toBe(2);
      const none = await list('work_order', { count: 'none' });
      expect(none.total).toBeNull();
      const estimated = await list('work_order', { count: 'estimated' });
      expect(typeof estimated.total).toBe('number');
    });

    it('selects fields, including nested relation fields', async () => {
      const page = await list('work_order', { fields: 'woNo,item.name', filter: { remark: 'r1' } });
      expect(page.items).toEqual([
        {
          id: expect.any(Number),
          version: 1,
          woNo: expect.stringMatching(/^WO-A01-/),
          itemId: ids.steel,
          item: { id: ids.steel, name: 'Steel sheet' },
        },
      ]);
    });
  });

  describe('paging', () => {
    beforeAll(async () => {
      const rows = Array.from({ length: 57 }, (_, i) => ({
        name: `Paged item ${String(i).padStart(2, '0')}`,
        itemTypeId: i % 2 ? ids.raw : ids.fg,
        unitCost: i % 5,
        ...(i % 3 === 0 ? {} : { shelfLife: i % 7, color: i % 2 ? 'red' : 'green' }),
      }));
      await service.bulk('item_master', { mode: 'create', rows }, ctx);
    });

    const all = async (sort: string) =>
      (
        await list('item_master', { filter: { name: { startsWith: 'Paged' } }, sort, pageSize: '500' })
      ).items.map((r) => r.id);

    it('walks offset pages without duplicates or gaps', async () => {
      const expected = await all('-unitCost,name');
      const seen: unknown[] = [];
      for (let page = 1; page <= 3; page++) {
        const result = await list('item_master', {
          filter: { name: { startsWith: 'Paged' } },
          sort: '-unitCost,name',
          page: String(page),
          pageSize: '20',
        });
        expect(result).toMatchObject({ total: 57, page, pageSize: 20 });
        seen.push(...result.items.map((r) => r.id));
      }
      expect(seen).toEqual(expected);
    });

    it('walks keyset cursors without duplicates or gaps, also on nullable and extension fields', async () => {
      for (const sort of ['-unitCost,name', 'unitCost', '-shelfLife', 'color,-id']) {
        const expected = await all(sort);
        const seen: unknown[] = [];
        let cursor: string | null = '';
        let pages = 0;
        while (cursor !== null) {
          const result = await list('item_master', {
            filter: { name: { startsWith: 'Paged' } },
            sort,
            cursor,
            pageSize: '10',
            count: 'none',
          });
          seen.push(...result.items.map((r) => r.id));
          cursor = result.nextCursor;
          expect(result.page).toBeNull();
          pages += 1;
        }
        expect(pages).toBe(6);
        expect(seen).toEqual(expected);
      }
    });

    it('rejects a cursor from another sort and page together with cursor', async () => {
      const first = await list('item_master', { sort: 'name', cursor: '', pageSize: '5' });
      expect(first.nextCursor).not.toBeNull();
      const mismatched = service.parseListQuery(
        'item_master',
        { sort: '-name', cursor: first.nextCursor },
        model,
      );
      await expect(service.list('item_master', mismatched, ctx)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      const garbage = service.parseListQuery('item_master', { cursor: 'not-a-cursor' }, model);
      await expect(service.list('item_master', garbage, ctx)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(() => service.parseListQuery('item_master', { cursor: '', page: '2' }, model)).toThrow(ApiError);
    });
  });

  describe('expansion', () => {
    it('loads each expanded field in one batched statement, never per row', async () => {
      const query: ListQuery = service.parseListQuery(
        'work_order',
        { expand: 'item,line,tags', count: 'none', pageSize: '50' },
        model,
      );
      database.log.reset();
      const page = await service.list('work_order', query, ctx);
      expect(page.items.length).toBeGreaterThan(5);
      expect(database.log.queries).toHaveLength(1 + 3);
      const first = page.items.find((r) => r.woNo === 'WO-A01-0001') as EntityRecord;
      expect(first.item).toMatchObject({ name: 'Gearbox' });
      expect(first.line).toMatchObject({ lineCode: 'A01' });
      expect((first.tags as EntityRecord[]).map((t) => t.name).sort()).toEqual(['export', 'urgent']);

      database.log.reset();
      await service.list('work_order', service.parseListQuery('work_order', { count: 'exact' }, model), ctx);
      expect(database.log.queries).toHaveLength(2);
    });
  });

  describe('identifiers', () => {
    it('gives 50 parallel creates 50 distinct, gap-free codes per scope', async () => {
      const creates = Array.from({ length: 50 }, (_, i) =>
        service.create(
          'work_order',
          {
            itemId: ids.bolt,
            lineId: ids.b02,
            quantity: i + 1,
            plannedStart: '2026-05-01T00:00:00Z',
            remark: `par-${i}`,
          },
          ctx,
        ),
      );
      const created = await Promise.all(creates);
      const numbers = created.map((r) => String(r.woNo)).sort();
      expect(new Set(numbers).size).toBe(50);
      const existingB02 = 2; // r3 and r4 from the list fixture
      expect(numbers).toEqual(
        Array.from({ length: 50 }, (_, i) => `WO-B02-${String(existingB02 + i + 1).padStart(4, '0')}`),
      );
    });

    it('numbers past the pattern’s width without cutting the number', async () => {
      const line = await service.create('production_line', { lineCode: 'W09', name: 'Line W9' }, ctx);
      await database.db
        .executor()
        .execute('INSERT INTO sys_sequence (seq_name, current_value) VALUES (?, ?)', [
          'T1:work_order:WO-W09-',
          9998,
        ]);
      const order = () =>
        service.create(
          'work_order',
          { itemId: ids.bolt, lineId: line.id, quantity: 1, plannedStart: '2026-05-02T00:00:00Z' },
          ctx,
        );
      const first = await order();
      const second = await order();
      expect([first.woNo, second.woNo]).toEqual(['WO-W09-9999', 'WO-W09-10000']);
      expect((await service.get('work_order', second.id as number, ctx)).woNo).toBe('WO-W09-10000');
    });

    it('answers a generated identifier that is already taken with 409 naming the field', async () => {
      const line = await service.create('production_line', { lineCode: 'W08', name: 'Line W8' }, ctx);
      const body = { itemId: ids.bolt, lineId: line.id, quantity: 1, plannedStart: '2026-05-03T00:00:00Z' };
      expect((await service.create('work_order', body, ctx)).woNo).toBe('WO-W08-0001');
      await database.db
        .executor()
        .execute('UPDATE sys_sequence SET current_value = 0 WHERE seq_name = ?', ['T1:work_order:WO-W08-']);
      const error = await apiError(service.create('work_order', body, ctx));
      expect(error).toMatchObject({ code: 'DUPLICATE_VALUE', httpStatus: 409 });
      expect(error.details?.errors?.[0]).toMatchObject({ field: 'woNo', rule: 'unique' });
      expect(error.message).toMatch(/^woNo /);
    });

    it('scopes date-based sequences per day and tenant, and renders the tenant code', async () => {
      const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      const a = await service.create('inspection', {}, ctx);
      const b = await service.create('inspection', {}, ctx);
      const c = await service.create('inspection', {}, other);
      expect([a.code, b.code, c.code]).toEqual([
        `INS-T1-${today}-001`,
        `INS-T1-${today}-002`,
        `INS-T2-${today}-001`,
      ]);
    });
  });

  describe('document reads', () => {
    it('reads a record in one statement, plus one per children or many field that has rows', async () => {
      const { id } = await service.getByKey('work_order', 'WO-A01-0001', ctx);
      database.log.reset();
      await service.get('item_master', ids.bolt, ctx);
      expect(database.log.queries).toHaveLength(1);
      expect(database.log.queries[0]).toMatch(/tenant_id/);
      expect(database.log.queries[0]).toMatch(/deleted_at/);

      database.log.reset();
      await expect(service.get('work_order', 999_999, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(database.log.queries).toHaveLength(1);

      database.log.reset();
      const wo = await service.get('work_order', id as number, ctx);
      expect(database.log.queries).toHaveLength(1 + 1);
      expect(wo.tagsIds).toEqual([ids.urgent, ids.export].sort((a, b) => a - b));
      expect((wo.tags as EntityRecord[]).map((t) => t.name).sort()).toEqual(['export', 'urgent']);

      const bare = await service.create(
        'work_order',
        { itemId: ids.steel, lineId: ids.a01, quantity: 1, plannedStart: '2026-06-02T00:00:00Z' },
        ctx,
      );
      database.log.reset();
      const reread = await service.get('work_order', bare.id as number, ctx);
      expect(database.log.queries).toHaveLength(1);
      expect(reread).toMatchObject({ tags: [], tagsIds: [] });
      expect(reread).not.toHaveProperty('_n0');

      const created = await service.create(
        'inspection',
        {
          workOrderId: id,
          results: [
            { seq: 9, characteristic: 'Z', value: 1.5 },
            { seq: 3, characteristic: 'A' },
          ],
        },
        ctx,
      );
      database.log.reset();
      const inspection = await service.get('inspection', created.id as number, ctx, {
        expand: ['workOrder'],
      });
      expect(database.log.queries).toHaveLength(1 + 1 + 1);
      expect(inspection.results).toEqual([
        expect.objectContaining({
          seq: 3,
          characteristic: 'A',
          value: null,
          inspectionId: created.id,
          version: 1,
        }),
        expect.objectContaining({
          seq: 9,
          characteristic: 'Z',
          value: 1.5,
          createdBy: 'alice',
          createdAt: inspection.createdAt,
        }),
      ]);
      expect(inspection.workOrder).toMatchObject({ id, woNo: 'WO-A01-0001' });
      expect(inspection.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  describe('updates', () => {
    it('applies optimistic locking', async () => {
      const wo = await service.create(
        'work_order',
        { itemId: ids.steel, lineId: ids.a01, quantity: 3, plannedStart: '2026-06-01T00:00:00Z' },
        ctx,
      );
      const id = wo.id as number;
      const updated = await service.update(
        'work_order',
        id,
        { version: 1, status: 'RELEASED', priority: 4 },
        ctx,
      );
      expect(updated).toMatchObject({
        version: 2,
        status: 'RELEASED',
        priority: 4,
        quantity: 3,
        updatedBy: 'alice',
      });
      const stale = await apiError(
        service.update('work_order', id, { version: 1, status: 'CANCELLED' }, ctx),
      );
      expect(stale).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
      expect(stale.details?.currentVersion).toBe(2);
      const missing = await apiError(service.update('work_order', id, { status: 'CANCELLED' }, ctx));
      expect(missing.details?.errors).toEqual([
        expect.objectContaining({ field: 'version', rule: 'required' }),
      ]);
      const readonly = await apiError(service.update('work_order', id, { version: 2, woNo: 'X' }, ctx));
      expect(readonly.details?.errors).toEqual([
        expect.objectContaining({ field: 'woNo', rule: 'readonly' }),
      ]);
      expect((await service.get('work_order', id, ctx)).status).toBe('RELEASED');
      await expect(service.update('work_order', 999999, { version: 1 }, ctx)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('writes owned children with the parent and merges them on update', async () => {
      const inspection = await service.create(
        'inspection',
        {
          results: [
            { seq: 2, characteristic: 'Width', value: 10.2 },
            { seq: 1, characteristic: 'Length', value: 99.5 },
          ],
        },
        ctx,
      );
      const results = inspection.results as EntityRecord[];
      expect(results.map((r) => r.characteristic)).toEqual(['Length', 'Width']);
      expect(results[0].inspectionId).toBe(inspection.id);
      const [length] = results;
      const patched = await service.update(
        'inspection',
        inspection.id as number,
        {
          version: 1,
          results: [
            { id: length.id, seq: 1, characteristic: 'Length', value: 100 },
            { seq: 3, characteristic: 'Height', value: 5 },
          ],
        },
        ctx,
      );
      expect((patched.results as EntityRecord[]).map((r) => [r.characteristic, r.value])).toEqual([
        ['Length', 100],
        ['Height', 5],
      ]);
      const page = await list('inspection', { fields: 'code,results', filter: { id: inspection.id } });
      expect(page.items[0]).toEqual({
        id: inspection.id,
        version: 2,
        code: inspection.code,
        results: [
          expect.objectContaining({ characteristic: 'Length' }),
          expect.objectContaining({ characteristic: 'Height' }),
        ],
      });
      const past = await apiError(service.create('inspection', { nextCheck: '2001-01-01' }, ctx));
      expect(past.details?.errors).toEqual([
        expect.objectContaining({ path: '/nextCheck', rule: 'range', limit: 'future' }),
      ]);
      expect((await service.create('inspection', { nextCheck: '2999-01-01' }, ctx)).nextCheck).toBe(
        '2999-01-01',
      );
      const badChild = await apiError(service.create('inspection', { results: [{ seq: 1 }] }, ctx));
      expect(badChild.details?.errors).toEqual([
        expect.objectContaining({ path: '/results/0/characteristic', rule: 'required' }),
      ]);
    });

    it('soft-deletes and restores; append-only entities refuse update and delete', async () => {
      const tag = await service.create('tag', { name: 'temporary' }, ctx);
      const id = tag.id as number;
      await service.remove('tag', id, ctx);
      await expect(service.get('tag', id, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await list('tag', { filter: { name: 'temporary' } })).total).toBe(0);
      const withDeleted = await list('tag', { filter: { name: 'temporary' }, includeDeleted: 'true' });
      expect(withDeleted.items[0].deletedAt).toEqual(expect.any(String));
      const restored = await service.restore('tag', id, ctx);
      expect(restored).toMatchObject({ deletedAt: null, version: 3 });
      await expect(service.remove('tag', 999999, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const txn = await service.create('stock_txn', { qty: 5 }, ctx);
      const update = await apiError(
        service.update('stock_txn', txn.id as number, { version: 1, qty: 6 }, ctx),
      );
      expect(update).toMatchObject({ code: 'BUSINESS_RULE', httpStatus: 422 });
      await expect(service.remove('stock_txn', txn.id as number, ctx)).rejects.toMatchObject({
        code: 'BUSINESS_RULE',
      });
    });
  });

  describe('bulk', () => {
    it('writes nothing when any row is bad and lists each bad row', async () => {
      const before = (await list('tag', {})).total;
      const rows: EntityRecord[] = Array.from({ length: 1000 }, (_, i) => ({ name: `bulk-${i}` }));
      rows[17] = { name: 'x'.repeat(40) };
      rows[503] = { nom: 'typo' };
      const error = await apiError(service.bulk('tag', { mode: 'create', rows }, ctx));
      expect(error.httpStatus).toBe(422);
      expect(error.details?.rows?.map((r) => r.row)).toEqual([17, 503]);
      expect(error.details?.rows?.[0].errors[0]).toMatchObject({ path: '/rows/17/name', rule: 'maxLength' });
      expect((await list('tag', {})).total).toBe(before);

      const refs = await apiError(
        service.bulk(
          'item_master',
          {
            mode: 'create',
            rows: [
              { name: 'ok', itemTypeId: ids.raw },
              { name: 'bad', itemTypeId: 424242 },
            ],
          },
          ctx,
        ),
      );
      expect(refs.details?.rows).toEqual([
        expect.objectContaining({
          row: 1,
          errors: [expect.objectContaining({ path: '/rows/1/itemTypeId', rule: 'exists' })],
        }),
      ]);
    });

    it('deletes rows in one transaction, or none when any row is refused', async () => {
      const created = await service.bulk(
        'tag',
        { mode: 'create', rows: [{ name: 'del-a' }, { name: 'del-b' }, { name: 'del-c' }] },
        ctx,
      );
      const [a, b, c] = created.ids;
      const refused = await apiError(
        service.bulk(
          'tag',
          {
            mode: 'delete',
            rows: [
              { id: a, version: 1 },
              { id: b, version: 7 },
              { id: 987654 },
              { id: a },
              { id: c, nom: 1 },
            ],
          },
          ctx,
        ),
      );
      expect(refused.httpStatus).toBe(422);
      expect(refused.details?.rows?.map((r) => [r.row, r.errors.map((e) => `${e.path} ${e.rule}`)])).toEqual([
        [1, ['/rows/1/version version']],
        [2, ['/rows/2/id exists']],
        [3, ['/rows/3/id unique']],
        [4, ['/rows/4/nom unknown']],
      ]);
      for (const id of [a, b, c]) expect((await service.get('tag', id, ctx)).name).toMatch(/^del-/);

      const deleted = await service.bulk(
        'tag',
        { mode: 'delete', rows: [{ id: a, version: 1 }, { id: b }] },
        ctx,
      );
      expect(deleted).toMatchObject({ created: 0, updated: 0, deleted: 2, ids: [a, b], errors: [] });
      await expect(service.get('tag', a, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(service.get('tag', b, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await service.get('tag', c, ctx)).name).toBe('del-c');
      const foreign = await apiError(service.bulk('tag', { mode: 'delete', rows: [{ id: c }] }, other));
      expect(foreign.details?.rows?.[0]?.errors[0]).toMatchObject({ path: '/rows/0/id', rule: 'exists' });
    });

    it('creates 10,000 rows in one request', async () => {
      const rows = Array.from({ length: 10000 }, (_, i) => ({ name: `mass-${i}` }));
      const result = await service.bulk('tag', { mode: 'create', rows }, ctx);
      expect(result).toMatchObject({ created: 10000, updated: 0, errors: [] });
      expect(new Set(result.ids).size).toBe(10000);
      const last = await service.get('tag', result.ids[9999], ctx);
      expect(last.name).toBe('mass-9999');
      await expect(
        service.bulk('tag', { mode: 'create', rows: [...rows, { name: 'one too many' }] }, ctx),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    });

    it('updates with versions and upserts by business key', async () => {
      const created = await service.bulk(
        'item_type',
        {
          mode: 'create',
          rows: [
            { code: 'SEMI', name: 'Semi' },
            { code: 'PKG', name: 'Pack' },
          ],
        },
        ctx,
      );
      const [semi, pkg] = created.ids;
      const updated = await service.bulk(
        'item_type',
        {
          mode: 'update',
          rows: [
            { id: semi, version: 1, name: 'Semi-finished' },
            { id: pkg, version: 1, name: 'Packaging' },
          ],
        },
        ctx,
      );
      expect(updated).toMatchObject({ created: 0, updated: 2 });
      const stale = await apiError(
        service.bulk(
          'item_type',
          {
            mode: 'update',
            rows: [
              { id: semi, version: 2, name: 'ok' },
              { id: pkg, version: 1, name: 'stale' },
            ],
          },
          ctx,
        ),
      );
      expect(stale.details?.rows).toEqual([
        expect.objectContaining({ row: 1, errors: [expect.objectContaining({ rule: 'version', limit: 2 })] }),
      ]);
      expect((await service.get('item_type', semi, ctx)).name).toBe('Semi-finished');
      const upsert = await service.bulk(
        'item_type',
        {
          mode: 'upsert',
          rows: [
            { code: 'PKG', name: 'Packaging material' },
            { code: 'TOOL', name: 'Tooling' },
          ],
        },
        ctx,
      );
      expect(upsert).toMatchObject({ created: 1, updated: 1 });
      expect(upsert.ids[0]).toBe(pkg);
      expect((await service.getByKey('item_type', 'PKG', ctx)).name).toBe('Packaging material');
    });
  });

  describe('extension fields', () => {
    it('reads, writes, validates, filters and sorts extension fields', async () => {
      const steel = await service.get('item_master', ids.steel, ctx);
      expect(steel).toMatchObject({ color: 'grey', shelfLife: 365 });
      expect(steel).not.toHaveProperty('tenant2Only');
      const byColor = await list('item_master', { filter: { color: 'blue' } });
      expect(byColor.items.map((r) => r.name)).toEqual(['Gearbox']);
      const longLife = await list('item_master', {
        filter: { shelfLife: { gte: '365' } },
        sort: '-shelfLife',
      });
      expect(longLife.items.map((r) => r.name)).toEqual(['Bolt M8', 'Steel sheet']);
      const noColor = await list('item_master', {
        filter: { color: { null: true }, shelfLife: { notNull: true } },
      });
      expect(noColor.items.map((r) => r.name)).toEqual(['Bolt M8']);

      const patched = await service.update('item_master', ids.gearbox, { version: 1, shelfLife: 45 }, ctx);
      expect(patched).toMatchObject({ color: 'blue', shelfLife: 45 });
      const invalid = await apiError(
        service.update('item_master', ids.gearbox, { version: 2, shelfLife: -1 }, ctx),
      );
      expect(invalid.details?.errors).toEqual([
        expect.objectContaining({ path: '/shelfLife', rule: 'minimum', limit: 0 }),
      ]);
      const otherTenantsField = await apiError(
        service.update('item_master', ids.gearbox, { version: 2, tenant2Only: 'x' }, ctx),
      );
      expect(otherTenantsField.code).toBe('UNKNOWN_FIELD');
    });
  });
});
