/**
 * One list pipeline: the generated list definitions are what `GET /api/ui/lists/:entity` serves for a
 * shipped entity; the server answers `list: null` to a browser holding that definition while it is the
 * caller's list, and the live list otherwise — for a caller who may not read some of its fields, for a
 * browser built from other metadata, and for an entity published at run time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListDefinition, ServedList } from '../../../platform/src/contracts/list';
import { engineeringProblemContent } from '../../support/engineering-problem';
import { startSecurityServer, type SecurityServer } from '../security/security-server';
import { dataOf, studioClient } from '../studio/studio-client';

/** A generated list definition of ui-runtime/src/generated/lists, as the browser app bundles it. */
function generatedList(file: string): ListDefinition {
  const path = join(__dirname, '..', '..', '..', 'ui-runtime', 'src', 'generated', 'lists', file);
  const { $generated: _header, ...definition } = JSON.parse(readFileSync(path, 'utf8')) as ListDefinition & {
    $generated: string;
  };
  return definition;
}

/** The list part of a definition: what the server sends as `list`. */
function listOf(definition: ListDefinition): Omit<ListDefinition, 'hash'> {
  const { hash: _hash, ...list } = definition;
  return list;
}

describe('list definitions, generated and served', () => {
  let api: SecurityServer;
  const { draft, submit, publish } = studioClient(() => api);
  const served = async (user: string, url: string): Promise<ServedList> =>
    dataOf<ServedList>(await api.call(user, 'GET', url));

  beforeAll(async () => {
    api = await startSecurityServer('sqlite', 'list-definition');
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('serves exactly the generated list of a shipped entity, and null to the browser that holds it', async () => {
    const generated = generatedList('work-order.list.json');
    const unasked = await served('admin', '/api/ui/lists/work_order');
    expect(unasked).toMatchObject({ entity: 'work_order', path: 'work-orders', hash: generated.hash });
    expect(unasked.list).toEqual(listOf(generated));

    const held = await served(
      'admin',
      `/api/ui/lists/work-orders?base=${encodeURIComponent(generated.hash)}`,
    );
    expect(held).toEqual({ entity: 'work_order', path: 'work-orders', hash: generated.hash, list: null });

    // A browser built from other metadata than the live Model's gets the live list.
    const stale = await served('admin', '/api/ui/lists/work_order?base=older');
    expect(stale.list).toEqual(listOf(generated));
  });

  it('leaves out what the caller may not read, even when its browser holds the generated list', async () => {
    const generated = generatedList('item-master.list.json');
    expect(generated.columns.map((c) => c.field)).toContain('unitCost');
    const url = `/api/ui/lists/item_master?base=${encodeURIComponent(generated.hash)}`;

    const admin = await served('admin', url);
    expect(admin.list).toBeNull();
    const operator = await served('operator', url);
    expect(operator.hash).toBe(generated.hash);
    expect(operator.list?.columns.map((c) => c.field)).toEqual(
      generated.columns.map((c) => c.field).filter((field) => field !== 'unitCost'),
    );
    expect(operator.list?.filters).toEqual(generated.filters);
  });

  it('answers 404 for an entity the caller may not read or that does not exist', async () => {
    expect((await api.call('operator', 'GET', '/api/ui/lists/supplier_master')).statusCode).toBe(404);
    expect((await api.call('admin', 'GET', '/api/ui/lists/no_such_entity')).statusCode).toBe(404);
  });

  it('serves the list of an entity published at run time, which has no generated definition', async () => {
    expect((await api.call('operator', 'GET', '/api/ui/lists/engineering_problem')).statusCode).toBe(404);
    const created = await draft('Engineering problems', engineeringProblemContent());
    dataOf(await publish(await submit(created)));

    const live = await served('operator', '/api/ui/lists/engineering-problems');
    expect(live.entity).toBe('engineering_problem');
    expect(live.list).toMatchObject({
      columns: ['epNo', 'title', 'severity', 'ownerId', 'dueDate', 'status'].map((field) => ({ field })),
      defaultSort: ['-epNo'],
      filters: ['severity', 'status', 'dueDate'].map((field) => ({ field })),
      search: ['epNo', 'title'],
      pageSize: 20,
    });
  });
});
