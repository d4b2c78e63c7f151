import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ApiError } from '../../../platform/src/crud/errors';
import type { FilterNode, RequestContext, WriteAccess } from '../../../platform/src/crud/types';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

/**
 * The caller's row scope inside the write path: the row changed is read with the scope compiled
 * in, every record the body refers to must lie in the caller's read scope, and the record as written
 * must stay inside the scope. Out of scope answers exactly like missing.
 */
describe.each(ENGINE_DIALECTS)('row scope on writes (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let service: EntityService;
  let admin: RequestContext;
  let scoped: RequestContext;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase(dialect, 'write_scope', model);
    service = new EntityService(database.db);
    admin = { tenantId: 'T1', userId: 'admin', traceId: 'trace-scope', model };
    const create = async (entity: string, body: Record<string, unknown>) =>
      (await service.create(entity, body, admin)).id as number;
    const type = await create('item_type', { code: 'FG', name: 'Finished' });
    ids.item = await create('item_master', { name: 'Counter', itemTypeId: type });
    ids.mine = await create('production_line', { lineCode: 'MINE', name: 'Mine' });
    ids.other = await create('production_line', { lineCode: 'OTHER', name: 'Other' });
    const order = (lineId: number) =>
      create('work_order', { itemId: ids.item, lineId, quantity: 5, plannedStart: '2026-12-01T08:00:00Z' });
    ids.myOrder = await order(ids.mine);
    ids.otherOrder = await order(ids.other);
    // A caller working on one line: its work orders and that line only.
    const onMyLine: Record<string, FilterNode> = {
      work_order: { field: 'lineId', op: 'eq', value: ids.mine },
      production_line: { field: 'id', op: 'eq', value: ids.mine },
    };
    const access: WriteAccess = {
      rowScope: (entity) => onMyLine[entity] ?? null,
      referenceScope: (entity) => onMyLine[entity] ?? null,
      checkFields: () => undefined,
    };
    scoped = { ...admin, userId: 'operator', access };
  });
  afterAll(() => database.drop());

  it('answers an update or delete of a row outside the scope exactly like one of a missing row', async () => {
    const outside = await failure(
      service.update('work_order', ids.otherOrder, { quantity: 6, version: 1 }, scoped),
    );
    const missing = await failure(service.update('work_order', 999_999, { quantity: 6, version: 1 }, scoped));
    expect([outside.httpStatus, outside.code]).toEqual([404, 'NOT_FOUND']);
    expect([missing.httpStatus, missing.code]).toEqual([404, 'NOT_FOUND']);
    expect((await failure(service.remove('work_order', ids.otherOrder, scoped))).httpStatus).toBe(404);
    expect((await service.get('work_order', ids.otherOrder, admin)).quantity).toBe(5);
  });

  it('refuses a reference to a record outside the read scope like one to a missing record', async () => {
    const body = (lineId: number) => ({
      itemId: ids.item,
      lineId,
      quantity: 1,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    const outside = await failure(service.create('work_order', body(ids.other), scoped));
    const missing = await failure(service.create('work_order', body(999_999), scoped));
    expect(outside.httpStatus).toBe(422);
    const lineError = (error: ApiError, id: number) =>
      (error.details as { errors: { field: string; message: string }[] }).errors
        .filter((e) => e.field === 'lineId')
        .map((e) => ({ ...e, message: e.message.replace(String(id), '<id>') }));
    expect(lineError(outside, ids.other)).toEqual(lineError(missing, 999_999));
    expect(lineError(outside, ids.other)).toEqual([
      expect.objectContaining({ rule: 'exists', message: 'production_line <id> does not exist' }),
    ]);
  });

  it('refuses moving a record out of the scope, naming the field, and writes nothing', async () => {
    // The line's scope is the caller's read scope of lines, so the reference is refused first:
    // with references unrestricted, the record as written is what is refused.
    const moving = { ...scoped, access: { ...scoped.access!, referenceScope: () => null } };
    const refused = await failure(
      service.update('work_order', ids.myOrder, { lineId: ids.other, version: 1 }, moving),
    );
    expect(refused).toMatchObject({ httpStatus: 403, code: 'FORBIDDEN' });
    expect(refused.details).toMatchObject({ errors: [{ field: 'lineId', path: '/lineId', rule: 'scope' }] });
    expect(await service.get('work_order', ids.myOrder, admin)).toMatchObject({
      lineId: ids.mine,
      version: 1,
    });
    const kept = await service.update('work_order', ids.myOrder, { quantity: 7, version: 1 }, scoped);
    expect(kept).toMatchObject({ quantity: 7, version: 2 });
  });
});
