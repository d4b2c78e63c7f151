import type { Model } from '../../../metadata/src/model';
import { openEngineDatabase, type EngineTestDatabase } from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * A queue consumer (the outbox relay) claims rows with FOR UPDATE SKIP LOCKED and keeps its
 * transaction open while it publishes. Under REPEATABLE READ that claim also locks the gap after the
 * last row, so every writer's insert into the queue waits for the publish to finish; READ COMMITTED
 * takes no gap locks.
 */
describe('transactions with READ COMMITTED on mysql', () => {
  let database: EngineTestDatabase;
  let model: Model;

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase('mysql', 'isolation', model);
    await database.db
      .executor()
      .execute('CREATE TABLE queue_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, done_at DATETIME NULL)');
    await database.db.executor().execute('INSERT INTO queue_probe (done_at) VALUES (NULL), (NULL)');
  });

  afterAll(async () => {
    await database?.drop();
  });

  /** Claims the pending rows and, while holding the claim, inserts a row from another transaction. */
  async function insertWhileClaimed(options: { isolation?: 'READ COMMITTED' }): Promise<unknown> {
    return database.db.transaction(async (claim) => {
      const claimed = await claim.query(
        'SELECT id FROM queue_probe WHERE done_at IS NULL ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED',
      );
      expect(claimed.length).toBeGreaterThan(0);
      return database.db
        .transaction(async (writer) => {
          await writer.execute('SET SESSION innodb_lock_wait_timeout = 1');
          await writer.execute('INSERT INTO queue_probe (done_at) VALUES (NULL)');
          await writer.execute('SET SESSION innodb_lock_wait_timeout = DEFAULT');
        })
        .then(
          () => 'inserted',
          (error: unknown) => error,
        );
    }, options);
  }

  it('lets other transactions insert into a table whose rows it holds claimed', async () => {
    await expect(insertWhileClaimed({ isolation: 'READ COMMITTED' })).resolves.toBe('inserted');
  });

  it('is needed: under the default REPEATABLE READ the same insert waits for the claim', async () => {
    await expect(insertWhileClaimed({})).resolves.toMatchObject({ message: /Lock wait timeout/ });
  });
});
