import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { mapError } from '../../../platform/src/crud/http/error-mapping';

/** Real driver errors of an unreachable or busy database map to 503, never to 500. */
describe('database unavailable errors', () => {
  it('maps a refused MySQL connection to 503 DATABASE_UNAVAILABLE', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await createConnection({ host: '127.0.0.1', port: closedPort, user: 'root' }).then(
      () => new Error('connected to a closed port'),
      (refused: unknown) => refused,
    );
    expect(mapError(error, 't1')).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
  });

  it('maps SQLITE_BUSY (another writer holds the file) to 503 DATABASE_UNAVAILABLE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mes-busy-'));
    const holder = new Database(join(dir, 'busy.sqlite'));
    const writer = new Database(join(dir, 'busy.sqlite'), { timeout: 0 });
    try {
      holder.exec('CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
      let error: unknown = null;
      try {
        writer.exec('INSERT INTO t VALUES (2)');
      } catch (busy) {
        error = busy;
      }
      expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(mapError(error, 't2')).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
    } finally {
      holder.close();
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps other failures a 500 without internals', () => {
    expect(mapError(new Error('boom'), 't3')).toMatchObject({
      status: 500,
      body: { code: 'INTERNAL_ERROR' },
      unexpected: true,
    });
  });
});
