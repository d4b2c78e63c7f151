import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ApiError } from '../../../platform/src/crud/errors';
import type { RequestContext } from '../../../platform/src/crud/types';
import { openEngineDatabase, type EngineTestDatabase } from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * Updates racing a concurrent writer on MariaDB. (SQLite runs one writer at a time: no concurrent
 * commit can fall between a read and a write.)
 * - A PATCH reads the row with a lock: a concurrent writer waits for its commit, so the PATCH
 *   writes over the version it read.
 * - An update of a record read without a lock (as a workflow action or a domain hook reads it,
 *   computing the change from what it read) is guarded by the version it read. REPEATABLE READ gives a transaction the snapshot of its first read, so its 409
 *   must name the version committed now, read past that snapshot, not the stale one it read.
 */
describe('updates racing a concurrent writer (mysql)', () => {
  let database: EngineTestDatabase;
  let model: Model;
  let service: EntityService;
  let ctx: RequestContext;
  let table: string;

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase('mysql', 'stale_version', model);
    service = new EntityService(database.db);
    ctx = { tenantId: 'T1', userId: 'alice', traceId: 'trace-409', model };
    table = model.entities.get('production_line')!.table;
  });
  afterAll(() => database.drop());

  /** Runs `concurrent` once, from inside the first update of a production line, on another connection. */
  function duringNextUpdate(concurrent: () => Promise<void>): () => void {
    let raced = false;
    return service.hooks.on('before', { entity: 'production_line', action: 'update' }, async () => {
      if (raced) return;
      raced = true;
      await concurrent();
    });
  }

  async function storedLine(id: number): Promise<{ name: string; version: number }> {
    const rows = await database.db
      .executor()
      .query<{ name: string; version: number | string }>(`SELECT name, version FROM ${table} WHERE id = ?`, [
        id,
      ]);
    return { name: rows[0]!.name, version: Number(rows[0]!.version) };
  }

  it('locks the row a PATCH reads: a concurrent writer waits until it commits', async () => {
    const line = await service.create('production_line', { lineCode: 'R1', name: 'Race' }, ctx);
    const id = line.id as number;
    let concurrent: unknown = null;
    const remove = duringNextUpdate(async () => {
      // Another connection writes the row while the PATCH holds it, waiting one second at most.
      concurrent = await database.db.dataSource
        .query(
          `SET STATEMENT innodb_lock_wait_timeout = 1 FOR UPDATE ${table} SET name = 'Theirs', version = version + 1 WHERE id = ?`,
          [id],
        )
        .catch((error: unknown) => error);
    });
    try {
      const updated = await service.update('production_line', id, { name: 'Mine', version: 1 }, ctx);
      expect(updated).toMatchObject({ name: 'Mine', version: 2 });
    } finally {
      remove();
    }
    expect(concurrent).toMatchObject({ code: 'ER_LOCK_WAIT_TIMEOUT' });
    expect(await storedLine(id)).toEqual({ name: 'Mine', version: 2 });
  });

  it('reports the version the concurrent writer committed when a record read without a lock went stale', async () => {
    const line = await service.create('production_line', { lineCode: 'R2', name: 'Race' }, ctx);
    const id = line.id as number;
    const remove = duringNextUpdate(async () => {
      await database.db.executor().execute(`UPDATE ${table} SET version = version + 1 WHERE id = ?`, [id]);
    });
    let conflict: ApiError | null = null;
    try {
      await service.transaction(async (tx) => {
        const current = await service.current(tx, 'production_line', id, ctx, 'update');
        await service.updateIn(tx, 'production_line', id, { name: 'Mine' }, ctx, { current });
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      conflict = error;
    } finally {
      remove();
    }
    expect(conflict).toMatchObject({ code: 'CONFLICT', httpStatus: 409, details: { currentVersion: 2 } });
  });

  it('refuses an engine update computed from an earlier read once a concurrent writer moved the record', async () => {
    const line = await service.create('production_line', { lineCode: 'R3', name: 'Race' }, ctx);
    const id = line.id as number;
    let conflict: ApiError | null = null;
    try {
      await service.transaction(async (tx) => {
        // What a domain hook reads first, in the transaction's snapshot, and computes its change from.
        const seen = await service.getIn(tx, 'production_line', id, ctx);
        await database.db
          .executor()
          .execute(`UPDATE ${table} SET name = 'Theirs', version = version + 1 WHERE id = ?`, [id]);
        await service.updateIn(tx, 'production_line', id, { name: `${String(seen.name)} and mine` }, ctx);
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      conflict = error;
    }
    expect(conflict).toMatchObject({ code: 'CONFLICT', httpStatus: 409, details: { currentVersion: 2 } });
    expect(await storedLine(id)).toEqual({ name: 'Theirs', version: 2 });
  });
});
