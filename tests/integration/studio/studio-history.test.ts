/**
 * Studio versions stored as deltas, on SQLite and MariaDB: twelve publishes each add a field; the
 * version rows hold only what changed since the version before, except every tenth (1, 11) which
 * holds the whole state; history lists every version, and rolling back to versions stored as deltas
 * on either side of a full snapshot serves exactly their fields again, data kept.
 */
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { dataOf, studioClient } from './studio-client';
import { TEST_DIALECTS } from '../../support/test-dialects';

const label = (en: string) => ({ en, zh: en });
const PUBLISHES = 12;

const logEntity = (extra: number) => ({
  entity: 'shift_log',
  label: label('Shift log'),
  module: 'production',
  database: 'core',
  display: 'title',
  fields: {
    title: { type: 'string', length: 80, required: true, label: label('Title') },
    ...Object.fromEntries(
      Array.from({ length: extra }, (_, i) => [
        `note_${i + 1}`,
        { type: 'string', length: 40, label: label(`Note ${i + 1}`) },
      ]),
    ),
  },
  list: { columns: ['title'] },
});

describe.each<Dialect>(TEST_DIALECTS)('studio history stored as deltas on %s', (dialect) => {
  let mes: SecurityServer;
  const { draft, submit, publish } = studioClient(() => mes);
  const publishAll = async (title: string, content: unknown): Promise<number> =>
    dataOf<{ version: number }>(await publish(await submit(await draft(title, content)))).version;
  const servedNotes = async (): Promise<string[]> => {
    const model = dataOf<{ entities: { name: string; fields: { name: string }[] }[] }>(
      await mes.call('analyst', 'GET', '/api/studio/model'),
    );
    const entity = model.entities.find((e) => e.name === 'shift_log');
    return (entity?.fields ?? []).map((f) => f.name).filter((name) => name.startsWith('note_'));
  };
  const notes = (n: number) => Array.from({ length: n }, (_, i) => `note_${i + 1}`);

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'studio-history');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('stores what each version changed, with periodic full snapshots, and rolls back across them', async () => {
    const published: number[] = [];
    published.push(
      await publishAll('Shift logs', {
        documents: [logEntity(0)],
        grants: { operator: ['shift_log:read', 'shift_log:create'] },
      }),
    );
    for (let n = 1; n < PUBLISHES; n += 1)
      published.push(await publishAll(`Note ${n}`, { documents: [logEntity(n)] }));
    expect(published).toEqual(Array.from({ length: PUBLISHES }, (_, i) => i + 1));
    const log = dataOf<{ id: number }>(
      await mes.call('operator', 'POST', '/api/shift-logs', { title: 'Night shift', note1: 'kept' }),
    );

    const rows = await mes.query<{ version: number; change_set: string | Record<string, unknown> }>(
      'SELECT version, change_set FROM ext_metadata_version ORDER BY version',
    );
    const stored = rows.map((row) => ({
      version: Number(row.version),
      document: (typeof row.change_set === 'string' ? JSON.parse(row.change_set) : row.change_set) as {
        layer?: unknown;
        delta?: { from: number; documents?: { put?: Record<string, unknown> } };
      },
    }));
    expect(stored.filter((s) => s.document.layer).map((s) => s.version)).toEqual([1, 11]);
    for (const { version, document } of stored.filter((s) => s.document.delta)) {
      expect(document.delta?.from).toBe(version - 1);
      // Only the entity changed: the delta holds its document, not the whole layer.
      expect(Object.keys(document.delta?.documents?.put ?? {})).toEqual(['entity:shift_log']);
      expect(document).not.toHaveProperty('layer');
    }

    const history = dataOf<{ version: number; diff: { schema: { kind: string; name?: string }[] } }[]>(
      await mes.call('analyst', 'GET', '/api/studio/versions'),
    );
    expect(history.map((h) => h.version)).toEqual([...published].reverse());
    expect(history[0].diff.schema).toContainEqual(
      expect.objectContaining({ kind: 'addColumn', name: 'note_11' }),
    );
    expect(await servedNotes()).toEqual(notes(11));

    // Version 4 is stored as deltas on version 1; version 13 (the rollback) as a delta on 12.
    const rollback = async (version: number) =>
      dataOf<{ version: number }>(await mes.call('reviewer', 'POST', '/api/studio/rollback', { version }));
    expect(await rollback(4)).toEqual(expect.objectContaining({ version: 13 }));
    expect(await servedNotes()).toEqual(notes(3));
    // Version 12 is a delta on the full snapshot of version 11.
    expect(await rollback(12)).toEqual(expect.objectContaining({ version: 14 }));
    expect(await servedNotes()).toEqual(notes(11));
    const read = dataOf<Record<string, unknown>>(
      await mes.call('operator', 'GET', `/api/shift-logs/${log.id}`),
    );
    expect(read).toMatchObject({ title: 'Night shift', note1: 'kept' });
    // A fresh reader replays the rows: the newest version reads as the one rolled back to.
    const versions = dataOf<{ version: number; rollbackOf?: number }[]>(
      await mes.call('analyst', 'GET', '/api/studio/versions'),
    );
    expect(versions.slice(0, 2)).toEqual([
      expect.objectContaining({ version: 14, rollbackOf: 12 }),
      expect.objectContaining({ version: 13, rollbackOf: 4 }),
    ]);
  });
});
