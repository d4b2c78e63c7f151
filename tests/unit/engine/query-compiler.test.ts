import fc from 'fast-check';
import { parseListQuery } from '../../../platform/src/crud/query-parser';
import { decodeCursor, encodeCursor } from '../../../platform/src/crud/cursor';
import { mysqlDialect, sqliteDialect } from '../../../platform/src/data/dialect';
import { compileList } from '../../../platform/src/data/query-compiler';
import { engineModel } from '../../fixtures/engine/plant-metadata';

const model = engineModel();
const workOrder = model.entities.get('work_order');
if (!workOrder) throw new Error('fixture lost work_order');

describe('compileList', () => {
  it('scopes to the tenant and live rows, and binds every value', () => {
    const query = parseListQuery(
      'work_order',
      { filter: { status: { in: 'RELEASED,DRAFT' } }, page: '3', pageSize: '10' },
      model,
    );
    const { select, count } = compileList(model, workOrder, query, 'T1', mysqlDialect, null);
    expect(select.sql).toContain('t.`tenant_id` = ?');
    expect(select.sql).toContain('t.`deleted_at` IS NULL');
    expect(select.sql).toContain('t.`status` IN (?, ?)');
    expect(select.sql).toContain('ORDER BY t.`planned_start` DESC, t.`id` DESC LIMIT ? OFFSET ?');
    expect(select.params).toEqual(['T1', 'RELEASED', 'DRAFT', 10, 20]);
    expect(count.params).toEqual(['T1', 'RELEASED', 'DRAFT']);
  });

  it('picks the ids of a page in an inner statement and reads their rows by primary key, in the same order', () => {
    const query = parseListQuery(
      'work_order',
      { filter: { status: { in: 'RELEASED,IN_PROGRESS' } }, sort: '-plannedStart', pageSize: '20' },
      model,
    );
    const { select, sortAliases } = compileList(model, workOrder, query, 'T1', mysqlDialect, null);
    expect(select.sql).toMatch(
      /^SELECT p\.`id`, .* FROM \(SELECT t\.`id` FROM `work_order` t WHERE .* LIMIT \? OFFSET \?\) k JOIN `work_order` p ON p\.`id` = k\.`id` ORDER BY p\.`planned_start` DESC, p\.`id` DESC$/,
    );
    // The inner statement names no column beyond its conditions and order: an index can answer it.
    const inner = /FROM \((SELECT .*)\) k JOIN/.exec(select.sql)?.[1] ?? '';
    const named = new Set([...inner.matchAll(/t\.`(\w+)`/g)].map((m) => m[1]));
    expect([...named].sort()).toEqual(['deleted_at', 'id', 'planned_start', 'status', 'tenant_id']);
    expect(sortAliases).toEqual(['_s0', '_s1']);
    expect(select.sql).toContain('p.`planned_start` AS _s0, p.`id` AS _s1');
  });

  it('reads a page in one statement unfiltered, along an index that serves it, without an index that holds its columns, and by id', () => {
    const unfiltered = parseListQuery('work_order', {}, model);
    // (tenant_id, status, deleted_at, planned_start) serves these equalities and this order as they stand.
    const served = parseListQuery('work_order', { filter: { status: { eq: 'RELEASED' } } }, model);
    const search = parseListQuery('work_order', { filter: { remark: { contains: 'x' } } }, model);
    const byId = parseListQuery(
      'work_order',
      { filter: { id: { eq: '7' }, status: { eq: 'DRAFT' } } },
      model,
    );
    for (const query of [unfiltered, served, search, byId]) {
      const { select } = compileList(model, workOrder, query, 'T1', mysqlDialect, null);
      expect(select.sql).toMatch(/^SELECT t\.`id`, .* FROM `work_order` t WHERE .* LIMIT \? OFFSET \?$/);
    }
  });

  it('breaks ties by id in the direction of the last sort key, so one index scan serves the order', () => {
    const sortOf = (sort: string) => parseListQuery('work_order', { sort }, model).sort;
    expect(sortOf('-plannedStart')).toEqual([
      { field: 'plannedStart', direction: 'desc' },
      { field: 'id', direction: 'desc' },
    ]);
    expect(sortOf('status,-plannedStart').at(-1)).toEqual({ field: 'id', direction: 'desc' });
    expect(sortOf('-status,plannedStart').at(-1)).toEqual({ field: 'id', direction: 'asc' });
    expect(sortOf('-id,status')).toEqual([
      { field: 'id', direction: 'desc' },
      { field: 'status', direction: 'asc' },
    ]);
  });

  it('reads extension fields through each dialect’s JSON functions', () => {
    const items = model.entities.get('item_master');
    if (!items) throw new Error('fixture lost item_master');
    const query = parseListQuery('item_master', { filter: { shelfLife: { gt: '3' } }, sort: 'color' }, model);
    const mysql = compileList(model, items, query, 'T1', mysqlDialect, null).select.sql;
    expect(mysql).toContain("CAST(JSON_EXTRACT(t.`ext`, '$.shelf_life') AS DECIMAL(38,10)) > ?");
    expect(mysql).toContain("ORDER BY JSON_UNQUOTE(JSON_EXTRACT(t.`ext`, '$.color')) ASC");
    const sqlite = compileList(model, items, query, 'T1', sqliteDialect, null).select.sql;
    expect(sqlite).toContain(`json_extract(t."ext", '$.shelf_life') > ?`);
  });

  it('never puts a filter or search value into the SQL text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        const query = parseListQuery(
          'work_order',
          { filter: { remark: { contains: value }, 'line.lineCode': value }, search: value },
          model,
        );
        for (const dialect of [mysqlDialect, sqliteDialect]) {
          const { select } = compileList(model, workOrder, query, 'T1', dialect, null);
          const sqlWithoutPlaceholders = select.sql.replace(/\?/g, '');
          if (value.trim().length > 3) expect(sqlWithoutPlaceholders).not.toContain(value);
          expect(select.sql.split('?').length - 1).toBe(select.params.length);
        }
      }),
    );
  });
});

describe('keyset cursors', () => {
  it('round-trip and refuse another sort', () => {
    const sort = [
      { field: 'plannedStart', direction: 'desc' as const },
      { field: 'id', direction: 'asc' as const },
    ];
    const cursor = encodeCursor(sort, ['2026-01-01 00:00:00.000', 7]);
    expect(decodeCursor(cursor, sort)).toEqual(['2026-01-01 00:00:00.000', 7]);
    expect(decodeCursor('', sort)).toBeNull();
    expect(() => decodeCursor(cursor, [{ field: 'id', direction: 'asc' }])).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    );
    expect(() => decodeCursor('%%%', sort)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
