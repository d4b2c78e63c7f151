import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ApiError } from '../../../platform/src/crud/errors';
import type { RequestContext } from '../../../platform/src/crud/types';
import { openEngineDatabase, type EngineTestDatabase } from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * A 409 names the version committed now. MariaDB's REPEATABLE READ gives a transaction the snapshot
 * of its first read, so a version read again in the same transaction after a concurrent commit is
 * the stale one the client sent. (SQLite runs one writer at a time: no concurrent commit can fall
 * between the read and the write.)
 */
describe('the 409 of an update that lost a race (mysql)', () => {
  let database: EngineTestDatabase;
  let model: Model;
  let service: EntityService;
  let ctx: RequestContext;

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase('mysql', 'stale_version', model);
    service = new EntityService(database.db);
    ctx = { tenantId: 'T1', userId: 'alice', traceId: 'trace-409', model };
  });
  afterAll(() => database.drop());

  it('reports the version the concurrent writer committed, not the snapshot’s', async () => {
    const line = await service.create('production_line', { lineCode: 'R1', name: 'Race' }, ctx);
    const id = line.id as number;
    const table = model.entities.get('production_line')!.table;
    let raced = false;
    // Between this update's read of the row and its write, another connection commits a change.
    const remove = service.hooks.on('before', { entity: 'production_line', action: 'update' }, async () => {
      if (raced) return;
      raced = true;
      await database.db.executor().execute(`UPDATE ${table} SET version = version + 1 WHERE id = ?`, [id]);
    });
    let conflict: ApiError | null = null;
    try {
      await service.update('production_line', id, { name: 'Mine', version: 1 }, ctx);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      conflict = error;
    } finally {
      remove();
    }
    expect(conflict).toMatchObject({ code: 'CONFLICT', httpStatus: 409, details: { currentVersion: 2 } });
  });
});
