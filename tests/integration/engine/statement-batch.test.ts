import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * Writes whose result nobody reads (`executeLater`: audit and outbox rows) commit or roll back with
 * their transaction like any other; on MySQL they travel with the transaction's next statement or
 * its commit. Reads whose answer is needed later (`queryLater`) travel with the next statement on
 * MySQL and run when asked for elsewhere.
 */
describe.each(ENGINE_DIALECTS)('statements written later in a transaction (%s)', (dialect) => {
  let database: EngineTestDatabase;

  beforeAll(async () => {
    database = await openEngineDatabase(dialect, 'batch', engineModel());
    const text = dialect === 'mysql' ? 'LONGTEXT' : 'TEXT';
    await database.db.executor().execute(`CREATE TABLE batch_probe (id INTEGER PRIMARY KEY, body ${text})`);
  });

  afterAll(async () => {
    await database?.drop();
  });

  beforeEach(() => database.db.executor().execute('DELETE FROM batch_probe'));

  const ids = async () =>
    (await database.db.executor().query<{ id: number }>('SELECT id FROM batch_probe ORDER BY id')).map(
      (row) => Number(row.id),
    );

  it('commits rows written later, more of them than one packet to the server holds', async () => {
    // 40 rows of 512 Ki characters: 20 MiB, more than MariaDB's default max_allowed_packet (16 MiB).
    const body = 'x'.repeat(1 << 19);
    await database.db.transaction(async (tx) => {
      for (let id = 1; id <= 40; id++)
        await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [id, body]);
    });
    expect(await ids()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('lets the statements after them see the rows written later', async () => {
    const seen = await database.db.transaction(async (tx) => {
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'a']);
      return tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM batch_probe');
    });
    expect(Number(seen[0]!.n)).toBe(1);
  });

  it('rolls rows written later back with a transaction that fails', async () => {
    const failed = database.db.transaction(async (tx) => {
      await tx.execute('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'a']);
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [2, 'b']);
      throw new Error('work failed');
    });
    await expect(failed).rejects.toThrow('work failed');
    expect(await ids()).toEqual([]);
  });

  it('fails the transaction, and rolls it back, when a row written later is refused', async () => {
    const failed = database.db.transaction(async (tx) => {
      await tx.execute('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'a']);
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'duplicate']);
    });
    await expect(failed).rejects.toThrow(/duplicate|UNIQUE/i);
    expect(await ids()).toEqual([]);
  });

  it('sends a read issued later with the next statement on MySQL, and when asked for elsewhere', async () => {
    const [before, after] = await database.db.transaction(async (tx) => {
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'a']);
      const early = tx.queryLater<{ id: number }>('SELECT id FROM batch_probe ORDER BY id');
      await tx.execute('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [2, 'b']);
      const late = tx.queryLater<{ id: number }>('SELECT id FROM batch_probe ORDER BY id');
      return [await early.rows(), await late.rows()];
    });
    expect(before.map((row) => Number(row.id))).toEqual(dialect === 'mysql' ? [1] : [1, 2]);
    expect(after.map((row) => Number(row.id))).toEqual([1, 2]);
  });

  it('fails a read issued later, and rolls the transaction back, when a statement before it is refused', async () => {
    await database.db.executor().execute('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'a']);
    const failed = database.db.transaction(async (tx) => {
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [2, 'b']);
      await tx.executeLater('INSERT INTO batch_probe (id, body) VALUES (?, ?)', [1, 'duplicate']);
      const read = tx.queryLater('SELECT id FROM batch_probe');
      await read.rows();
    });
    await expect(failed).rejects.toThrow(/duplicate|UNIQUE/i);
    expect(await ids()).toEqual([1]);
  });
});
