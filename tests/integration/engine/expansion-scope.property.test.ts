import fc from 'fast-check';
import { compileModel, type Model } from '../../../metadata/src/model';
import type { DataScope, RoleDef } from '../../../metadata/src/types';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import type { SqlExecutor } from '../../../platform/src/data/database';
import type { Principal, SecureContext } from '../../../platform/src/security/principal';
import { SecureEntityOperations } from '../../../platform/src/security/secure-operations';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { ENGINE_ENTITIES, ENGINE_EXTENSIONS, metadataSet } from '../../fixtures/engine/plant-metadata';

/**
 * Lists with expansions, read as a caller with random row scopes over random data, answer exactly
 * the rows that scope-filtered SQL written by hand returns: the root rows, each expanded relation
 * (null outside the related entity's scope), each many field's records (only those in scope) and
 * its ids (every link).
 */
const USERS = ['u1', 'u2', 'u3'];
const LINES = ['L1', 'L2', 'L3'];
const TAGS = ['red', 'blue', 'green', 'grey'];

type ScopeKind = 'all' | 'own' | 'line' | 'filter';
interface Scopes {
  workOrder: ScopeKind;
  line: ScopeKind;
  tag: ScopeKind;
  item: 'all' | 'own' | 'line';
}
interface Caller {
  userId: string;
  lines: number[];
  minPriority: number;
  lineCode: string;
  tagName: string;
  scopes: Scopes;
}
interface OrderSpec {
  creator: number;
  line: number;
  item: number;
  priority: number | null;
  tags: number[];
}
interface Plant {
  creators: { lines: number[]; tags: number[]; items: number[] };
  orders: OrderSpec[];
}

const scopeKind = fc.constantFrom<ScopeKind>('all', 'own', 'line', 'filter');
const caller = fc.record<Caller>({
  userId: fc.constantFrom(...USERS),
  lines: fc.subarray([0, 1, 2]),
  minPriority: fc.integer({ min: 1, max: 8 }),
  lineCode: fc.constantFrom(...LINES),
  tagName: fc.constantFrom(...TAGS),
  scopes: fc.record<Scopes>({
    workOrder: scopeKind,
    line: scopeKind,
    tag: scopeKind,
    item: fc.constantFrom('all', 'own', 'line'),
  }),
});
const creator = fc.integer({ min: 0, max: USERS.length - 1 });
const plant = fc.record<Plant>({
  creators: fc.record({
    lines: fc.array(creator, { minLength: 3, maxLength: 3 }),
    tags: fc.array(creator, { minLength: 4, maxLength: 4 }),
    items: fc.array(creator, { minLength: 2, maxLength: 2 }),
  }),
  orders: fc.array(
    fc.record<OrderSpec>({
      creator,
      line: fc.integer({ min: 0, max: 2 }),
      item: fc.integer({ min: 0, max: 1 }),
      priority: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      tags: fc.subarray([0, 1, 2, 3]),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

function scopeOf(kind: ScopeKind, filter: string): DataScope {
  return kind === 'filter' ? { filter } : kind;
}

function modelFor(c: Caller): Model {
  const role: RoleDef = {
    role: 'reader',
    label: { en: 'Reader', zh: 'Reader' },
    permissions: [
      'work_order:read',
      'production_line:read',
      'tag:read',
      'item_master:read',
      'item_type:read',
    ],
    dataScopes: {
      work_order: scopeOf(c.scopes.workOrder, `priority >= ${c.minPriority}`),
      production_line: scopeOf(c.scopes.line, `line_code == '${c.lineCode}'`),
      tag: scopeOf(c.scopes.tag, `name == '${c.tagName}'`),
      item_master: c.scopes.item,
    },
  };
  const set = metadataSet(ENGINE_ENTITIES);
  set.roles.set(role.role, role);
  return compileModel(set, { version: 1, extensionFields: ENGINE_EXTENSIONS });
}

/** The row condition of a scope, by hand, over a table with the given line column (null: none). */
function scopeSql(
  kind: ScopeKind,
  c: Caller,
  lineIds: number[],
  lineColumn: string | null,
  filter: () => { sql: string; params: unknown[] },
): { sql: string; params: unknown[] } {
  if (kind === 'all') return { sql: '1=1', params: [] };
  if (kind === 'filter') return filter();
  if (kind === 'line' && lineColumn) {
    const mine = c.lines.map((i) => lineIds[i]);
    return mine.length === 0
      ? { sql: '1=0', params: [] }
      : { sql: `${lineColumn} IN (${mine.map(() => '?').join(', ')})`, params: mine };
  }
  // `own`, and `line` on an entity without a line: the caller's own rows.
  return { sql: 'created_by = ?', params: [c.userId] };
}

async function idsWhere(
  exec: SqlExecutor,
  table: string,
  tenantId: string,
  condition: { sql: string; params: unknown[] },
): Promise<Set<number>> {
  const rows = await exec.query<{ id: number }>(
    `SELECT id FROM ${table} WHERE tenant_id = ? AND ${condition.sql}`,
    [tenantId, ...condition.params],
  );
  return new Set(rows.map((row) => Number(row.id)));
}

describe.each(ENGINE_DIALECTS)('expansions are scope-filtered by SQL (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let service: EntityService;
  let tenants = 0;

  beforeAll(async () => {
    database = await openEngineDatabase(dialect, 'expand_scope', modelFor(fc.sample(caller, 1)[0]));
    service = new EntityService(database.db);
  });
  afterAll(() => database.drop());

  async function seed(p: Plant, model: Model, tenantId: string) {
    const as = (index: number): RequestContext => ({
      tenantId,
      userId: USERS[index],
      traceId: 'expand-scope',
      model,
    });
    const create = async (entity: string, index: number, body: EntityRecord) =>
      (await service.create(entity, body, as(index))).id as number;
    const type = await create('item_type', 0, { code: 'FG', name: 'Finished' });
    const lines: number[] = [];
    for (const [i, who] of p.creators.lines.entries())
      lines.push(await create('production_line', who, { lineCode: LINES[i], name: LINES[i] }));
    const tags: number[] = [];
    for (const [i, who] of p.creators.tags.entries()) tags.push(await create('tag', who, { name: TAGS[i] }));
    const items: number[] = [];
    for (const [i, who] of p.creators.items.entries())
      items.push(await create('item_master', who, { name: `Item ${i}`, itemTypeId: type }));
    for (const order of p.orders)
      await create('work_order', order.creator, {
        itemId: items[order.item],
        lineId: lines[order.line],
        quantity: 1,
        plannedStart: '2026-12-01T08:00:00Z',
        ...(order.priority === null ? {} : { priority: order.priority }),
        tagsIds: order.tags.map((i) => tags[i]),
      });
    return lines;
  }

  it('list with expand answers the rows hand-written scoped SQL selects', async () => {
    await fc.assert(
      fc.asyncProperty(plant, caller, async (p, c) => {
        tenants += 1;
        const tenantId = `X${tenants}`;
        const model = modelFor(c);
        const lineIds = await seed(p, model, tenantId);
        const principal: Principal = {
          userId: c.userId,
          username: c.userId,
          tenantId,
          roles: ['reader'],
          grantedPermissions: [],
          departmentIds: [],
          departmentTreeIds: [],
          lineIds: c.lines.map((i) => lineIds[i]),
          plantIds: [],
          supplierId: null,
        };
        const ctx: SecureContext = { tenantId, userId: c.userId, traceId: 'expand-scope', model, principal };
        const secure = new SecureEntityOperations(service);
        const query = secure.parseListQuery(
          'work_order',
          { expand: 'line,item,tags', sort: 'id', pageSize: '50', count: 'exact' },
          model,
        );
        const page = await secure.list('work_order', query, ctx);

        const exec = database.db.executor();
        const orders = await idsWhere(
          exec,
          'work_order',
          tenantId,
          scopeSql(c.scopes.workOrder, c, lineIds, 'line_id', () => ({
            sql: 'priority >= ?',
            params: [c.minPriority],
          })),
        );
        const lines = await idsWhere(
          exec,
          'production_line',
          tenantId,
          scopeSql(c.scopes.line, c, lineIds, 'id', () => ({ sql: 'line_code = ?', params: [c.lineCode] })),
        );
        const tags = await idsWhere(
          exec,
          'tag',
          tenantId,
          scopeSql(c.scopes.tag, c, lineIds, null, () => ({ sql: 'name = ?', params: [c.tagName] })),
        );
        const items = await idsWhere(
          exec,
          'item_master',
          tenantId,
          scopeSql(c.scopes.item, c, lineIds, null, () => ({ sql: '1=1', params: [] })),
        );
        const stored = await exec.query<{ id: number; line_id: number; item_id: number }>(
          'SELECT id, line_id, item_id FROM work_order WHERE tenant_id = ? ORDER BY id',
          [tenantId],
        );
        const links = await exec.query<{ source: number; target: number }>(
          `SELECT l.work_order_id AS source, l.tag_id AS target FROM work_order_tags l
           WHERE l.tenant_id = ? ORDER BY l.tag_id`,
          [tenantId],
        );
        const expected = stored
          .filter((row) => orders.has(Number(row.id)))
          .map((row) => {
            const linked = links
              .filter((l) => Number(l.source) === Number(row.id))
              .map((l) => Number(l.target));
            return {
              id: Number(row.id),
              line: lines.has(Number(row.line_id)) ? Number(row.line_id) : null,
              item: items.has(Number(row.item_id)) ? Number(row.item_id) : null,
              tags: linked.filter((id) => tags.has(id)),
              tagsIds: linked,
            };
          });
        const answered = page.items.map((record) => ({
          id: record.id,
          line: (record.line as EntityRecord | null)?.id ?? null,
          item: (record.item as EntityRecord | null)?.id ?? null,
          tags: (record.tags as EntityRecord[]).map((tag) => tag.id),
          tagsIds: record.tagsIds,
        }));
        expect(answered).toEqual(expected);
        expect(page.total).toBe(expected.length);
      }),
      { numRuns: 12 },
    );
  });
});
