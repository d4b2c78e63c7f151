import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ApiError } from '../../../platform/src/crud/errors';
import type { RequestContext } from '../../../platform/src/crud/types';
import { openEngineDatabase, type EngineTestDatabase } from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * Updates racing a concurrent writer on MariaDB. (SQLite runs one writer at a time: no concurrent
 * commit can fall between a read and a write.)
 * - A PATCH reads the row with a lock: a concurrent writer waits for its commit, and the PATCH
 *   writes over the version it read.
 * - An update of a record read without a lock (as a workflow action reads it) is guarded by the
 *   version it read. REPEATABLE READ gives a transaction the snapshot of its first read, so its 409
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

  it('makes a concurrent writer wait for a PATCH, which writes over the version it read', async () => {
    const line = await service.create('production_line', { lineCode: 'R1', name: 'Race' }, ctx);
    const id = line.id as number;
    let other: Promise<unknown> = Promise.resolve();
    const remove = duringNextUpdate(async () => {
      other = database.db
        .executor()
        .execute(`UPDATE ${table} SET name = 'Theirs', version = version + 1 WHERE id = ?`, [id]);
      await waitForLockWait();
    });
    try {
      const updated = await service.update('production_line', id, { name: 'Mine', version: 1 }, ctx);
      expect(updated).toMatchObject({ name: 'Mine', version: 2 });
    } finally {
      remove();
    }
    await other;
    // The waiting write went ahead once the PATCH committed, over the PATCH's version.
    expect(await storedLine(id)).toEqual({ name: 'Theirs', version: 3 });
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

  /** Resolves once a transaction of the server waits for a row lock. */
  async function waitForLockWait(): Promise<void> {
    for (;;) {
      const rows = await database.db
        .executor()
        .query<{ n: number | string }>(
          "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
        );
      if (Number(rows[0]!.n) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
