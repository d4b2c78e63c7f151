/**
 * Attachments and comments of records over HTTP, as the roles that use them: the record decides who
 * may list, download, upload, delete and comment (its read or update permission and row scope), the
 * entity's attachment policy limits size and type, and every write is in the audit trail with its
 * actor. Entities that declare neither feature have no such routes. The attachment scenarios run
 * against both file stores — a folder on local disk and an S3 bucket (s3rver, a local S3-compatible
 * server) — through the same service path: files larger than one upload part stream through, a row
 * the database refuses takes its stored file with it, and with S3 a store that cannot be reached is
 * a clear 503 and leaves no attachment row.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { backup, restore } from '../../../platform/src/ops/backup';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

type Row = Record<string, unknown>;

interface Upload {
  name: string;
  type: string;
  content: Buffer;
  field?: string;
  description?: string;
}

/** A multipart/form-data body with one file part (and a description), as a browser sends it. */
function multipart(upload: Upload): { body: Buffer; contentType: string } {
  const boundary = `----mes${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  if (upload.description !== undefined)
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="description"\r\n\r\n${upload.description}\r\n`,
      ),
    );
  parts.push(
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="${upload.field ?? 'file'}"; filename="${upload.name}"\r\n` +
        `content-type: ${upload.type}\r\n\r\n`,
    ),
    upload.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Where the test looks for the stored files of a record: the folder or the bucket. */
interface Store {
  env: Record<string, string>;
  /** What `mes backup` records as the files' place. */
  files: { storage: 'local' | 's3'; location: string };
  /** Names of the files stored for one record. */
  stored(entity: string, id: number): Promise<string[]>;
  dispose(): Promise<void>;
}

async function localStore(): Promise<Store> {
  const files = mkdtempSync(join(tmpdir(), 'mes-files-'));
  return {
    env: { MES_FILES_DIR: files },
    files: { storage: 'local', location: files },
    stored: async (entity, id) => {
      try {
        return readdirSync(join(files, 'DEMO', entity, String(id)));
      } catch {
        return [];
      }
    },
    dispose: async () => rmSync(files, { recursive: true, force: true }),
  };
}

let s3: S3TestServer | undefined;

async function s3Store(): Promise<Store> {
  s3 = await startS3Server('mes-files', 'plant-a/');
  const server = s3;
  return {
    env: server.env,
    files: { storage: 's3', location: 's3://mes-files/plant-a/' },
    stored: async (entity, id) =>
      (await server.keys(`plant-a/DEMO/${entity}/${id}/`)).map((key) => key.split('/').pop()!),
    dispose: () => server.dispose(),
  };
}

describe.each([
  ['local disk', localStore],
  ['S3 (s3rver)', s3Store],
] as const)('attachments and comments on records (SQLite, %s)', (storage, openStore) => {
  let api: SecurityServer;
  let store: Store;
  let ownOrder: number;
  let otherOrder: number;
  let inspectionId: number;

  const upload = async (who: string, url: string, file: Upload) => {
    const { body, contentType } = multipart(file);
    return api.server.app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { authorization: `Bearer ${await api.login(who)}`, 'content-type': contentType },
    });
  };
  const created = async (who: string, url: string, payload: object): Promise<number> => {
    const reply = await api.call(who, 'POST', url, payload);
    if (reply.statusCode !== 201) throw new Error(`${url}: ${reply.statusCode} ${reply.body}`);
    return (reply.json().data as { id: number }).id;
  };

  beforeAll(async () => {
    store = await openStore();
    api = await startSecurityServer('sqlite', 'record-files', store.env);
    const uomId = await created('admin', '/api/units', { uomCode: 'RF-PCS', uomName: 'Pieces' });
    const plantId = await created('admin', '/api/plants', { plantCode: 'RF-P1', plantName: 'Plant RF' });
    const line = (code: string) =>
      created('admin', '/api/production-lines', { lineCode: code, lineName: `Line ${code}`, plantId });
    const ownLine = await line('RF01');
    const otherLine = await line('RF02');
    const itemId = await created('admin', '/api/items', { itemName: 'Bracket', itemType: 'FINISHED', uomId });
    const order = (lineId: number) =>
      created('planner', '/api/work-orders', {
        itemId,
        lineId,
        plannedQuantity: 5,
        plannedStart: '2026-12-01T08:00:00Z',
      });
    ownOrder = await order(ownLine);
    otherOrder = await order(otherLine);
    const users = await api.call('admin', 'GET', '/api/users?filter[username][eq]=operator');
    const operator = (users.json().data as { items: Row[] }).items[0]!;
    const assigned = await api.call('admin', 'PATCH', `/api/users/${String(operator.id)}`, {
      linesIds: [ownLine],
      version: operator.version,
    });
    expect(assigned.statusCode).toBe(200);
    const inspectors = await api.call('admin', 'GET', '/api/users?filter[username][eq]=inspector');
    const inspector = (inspectors.json().data as { items: Row[] }).items[0]!;
    inspectionId = await created('inspector', '/api/inspections', {
      inspectionType: 'FAI',
      refType: 'WO',
      refId: ((await api.call('planner', 'GET', `/api/work-orders/${ownOrder}`)).json().data as Row).woNo,
      inspectorId: inspector.id,
      inspectionDate: '2026-12-01T09:00:00Z',
      itemId,
      sampleSize: 5,
    });
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await store?.dispose();
  });

  it('lets the planner attach a file to an order, and the operator of its line list and download it', async () => {
    const content = Buffer.from('%PDF-1.4 traveller drawing\n');
    const reply = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
      name: '图纸 drawing.pdf',
      type: 'application/pdf',
      content,
      description: 'Assembly drawing',
    });
    expect(reply.statusCode).toBe(201);
    const attached = reply.json().data as Row;
    expect(attached).toMatchObject({
      fileName: '图纸 drawing.pdf',
      contentType: 'application/pdf',
      fileSize: content.length,
      description: 'Assembly drawing',
      author: { name: expect.any(String) },
    });
    expect(attached.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.stored('work_order', ownOrder)).toHaveLength(1);

    const listed = await api.call('operator', 'GET', `/api/work-orders/${ownOrder}/attachments`);
    expect(listed.statusCode).toBe(200);
    expect((listed.json().data as { items: Row[] }).items.map((a) => a.id)).toEqual([attached.id]);

    const download = await api.server.app.inject({
      method: 'GET',
      url: `/api/work-orders/${ownOrder}/attachments/${String(attached.id)}`,
      headers: { authorization: `Bearer ${await api.login('operator')}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-length']).toBe(String(content.length));
    expect(download.headers['content-disposition']).toMatch(/^inline;/);
    expect(download.headers['content-disposition']).toContain(
      "filename*=UTF-8''%E5%9B%BE%E7%BA%B8%20drawing.pdf",
    );
    expect(download.rawPayload.equals(content)).toBe(true);

    // Written through the record-change pipeline: the audit trail names the planner.
    const audit = await api.query<{ actor_name: string; action: string }>(
      "SELECT actor_name, action FROM audit_log WHERE entity_name = 'attachment' ORDER BY id",
    );
    expect(audit).toEqual([expect.objectContaining({ actor_name: 'planner', action: 'CREATE' })]);
  });

  it('refuses the operator an upload or a deletion (no update on work orders), and answers 404 outside its lines', async () => {
    const refused = await upload('operator', `/api/work-orders/${ownOrder}/attachments`, {
      name: 'photo.png',
      type: 'image/png',
      content: Buffer.from('png'),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toContain('work_order:update');
    const [first] = (
      (await api.call('planner', 'GET', `/api/work-orders/${ownOrder}/attachments`)).json().data as {
        items: Row[];
      }
    ).items;
    const deleted = await api.call(
      'operator',
      'DELETE',
      `/api/work-orders/${ownOrder}/attachments/${String(first!.id)}`,
    );
    expect(deleted.statusCode).toBe(403);

    const elsewhere = await api.call('operator', 'GET', `/api/work-orders/${otherOrder}/attachments`);
    expect(elsewhere.statusCode).toBe(404);
    // An attachment of one record is not reachable through another record's path.
    const crossed = await api.call(
      'planner',
      'GET',
      `/api/work-orders/${otherOrder}/attachments/${String(first!.id)}`,
    );
    expect(crossed.statusCode).toBe(404);
    // The metadata reviewer reads no work orders: no list, no download.
    const unreadable = await api.call(
      'reviewer',
      'GET',
      `/api/work-orders/${ownOrder}/attachments/${String(first!.id)}`,
    );
    expect(unreadable.statusCode).toBe(403);
    expect(unreadable.json().message).toContain('work_order:read');
  });

  it('holds uploads to the entity policy: size and type, naming the rule', async () => {
    const storedBefore = await store.stored('work_order', ownOrder);
    const tooBig = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
      name: 'huge.bin',
      type: 'application/octet-stream',
      content: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      errors: [{ field: 'file', rule: 'maxSize', limit: 10 * 1024 * 1024 }],
    });
    const wrongType = await upload('inspector', `/api/inspections/${inspectionId}/attachments`, {
      name: 'notes.exe',
      type: 'application/x-msdownload',
      content: Buffer.from('MZ'),
    });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      errors: [{ field: 'file', rule: 'accept' }],
    });
    expect(await store.stored('inspection', inspectionId)).toEqual([]);
    expect(await store.stored('work_order', ownOrder)).toEqual(storedBefore);
    // On S3 the refused file had begun a multipart upload (two parts in): it was aborted.
    expect(s3?.pendingUploads() ?? []).toEqual([]);
    const report = await upload('inspector', `/api/inspections/${inspectionId}/attachments`, {
      name: 'measurements.csv',
      type: 'text/csv',
      content: Buffer.from('dim,value\nA,1.02\n'),
    });
    expect(report.statusCode).toBe(201);
    expect(await store.stored('inspection', inspectionId)).toHaveLength(1);
    const noFile = await api.call('planner', 'POST', `/api/work-orders/${ownOrder}/attachments`, {});
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().errors[0]).toMatchObject({ field: 'file' });
  });

  it('streams a file larger than one upload part to the store and back, with its size and checksum', async () => {
    const content = Buffer.alloc(7 * 1024 * 1024 + 3, 'MES ');
    const reply = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
      name: 'scan.tif',
      type: 'image/tiff',
      content,
      description: 'Scanned traveller',
    });
    expect(reply.statusCode).toBe(201);
    const attached = reply.json().data as Row;
    expect(attached).toMatchObject({
      fileSize: content.length,
      checksum: createHash('sha256').update(content).digest('hex'),
      description: 'Scanned traveller',
    });
    const download = await api.server.app.inject({
      method: 'GET',
      url: `/api/work-orders/${ownOrder}/attachments/${String(attached.id)}`,
      headers: { authorization: `Bearer ${await api.login('planner')}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-length']).toBe(String(content.length));
    expect(download.rawPayload.equals(content)).toBe(true);
    expect(s3?.pendingUploads() ?? []).toEqual([]);
  });

  it('removes the stored file when its attachment row cannot be written', async () => {
    const storedBefore = await store.stored('work_order', ownOrder);
    const rows = async () => (await api.query<{ n: number }>('SELECT COUNT(*) AS n FROM attachment'))[0]!.n;
    const rowsBefore = await rows();
    // The database itself refuses the row, after the file went to the store.
    await api.query(
      "CREATE TRIGGER refuse_attachment BEFORE INSERT ON attachment WHEN NEW.file_name = 'refused.txt' " +
        "BEGIN SELECT RAISE(ABORT, 'attachment row refused'); END",
    );
    try {
      const refused = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
        name: 'refused.txt',
        type: 'text/plain',
        content: Buffer.alloc(6 * 1024 * 1024, 'row? '),
      });
      expect(refused.statusCode).toBe(500);
    } finally {
      await api.query('DROP TRIGGER refuse_attachment');
    }
    expect(await rows()).toBe(rowsBefore);
    expect(await store.stored('work_order', ownOrder)).toEqual(storedBefore);
  });

  it('deletes a file for the planner: gone from the list and the store, the deletion audited', async () => {
    const added = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
      name: 'old.txt',
      type: 'text/plain',
      content: Buffer.from('superseded'),
    });
    const id = (added.json().data as Row).id as number;
    const [row] = await api.query<{ file_path: string }>('SELECT file_path FROM attachment WHERE id = ?', [
      id,
    ]);
    const name = row!.file_path.split('/').pop()!;
    expect(await store.stored('work_order', ownOrder)).toContain(name);
    const deleted = await api.call('planner', 'DELETE', `/api/work-orders/${ownOrder}/attachments/${id}`);
    expect(deleted.statusCode).toBe(200);
    expect(await store.stored('work_order', ownOrder)).not.toContain(name);
    const listed = (await api.call('planner', 'GET', `/api/work-orders/${ownOrder}/attachments`)).json()
      .data as {
      items: Row[];
    };
    expect(listed.items.map((a) => a.id)).not.toContain(id);
    expect(
      (await api.call('planner', 'GET', `/api/work-orders/${ownOrder}/attachments/${id}`)).statusCode,
    ).toBe(404);
    const audit = await api.query<{ actor_name: string; action: string }>(
      "SELECT actor_name, action FROM audit_log WHERE entity_name = 'attachment' AND record_id = ? ORDER BY id",
      [String(id)],
    );
    expect(audit.map((a) => [a.actor_name, a.action])).toEqual([
      ['planner', 'CREATE'],
      ['planner', 'DELETE'],
    ]);
  });

  it('backs up the attachment rows and records where the files are; restored rows still name stored files', async () => {
    const work = mkdtempSync(join(tmpdir(), 'mes-files-backup-'));
    try {
      const env = {
        ...store.env,
        DATABASE_URL: `sqlite:${String(api.server.dataSource.options.database)}`,
        // Keys given in the environment: the backup copies no key file.
        MES_JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
        MES_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
      };
      const rows = await api.query<{ file_path: string }>(
        'SELECT file_path FROM attachment WHERE deleted_at IS NULL ORDER BY id',
      );
      expect(rows.length).toBeGreaterThan(0);
      const manifest = await backup(loadDatabaseConfig(env), join(work, 'backup'), env);
      expect(manifest.files).toEqual(store.files);
      expect(readdirSync(join(work, 'backup')).sort()).toEqual(['database.sqlite', 'keys', 'manifest.json']);

      const target = { DATABASE_URL: `sqlite:${join(work, 'restored.sqlite')}` };
      const report = await restore(loadDatabaseConfig(target), join(work, 'backup'), env);
      expect(report.manifest.files).toEqual(store.files);
      expect(report.audit.problems).toEqual([]);
      expect(report.countDifferences).toEqual({});
      const restoredDb = await createDataSource(loadDatabaseConfig(target));
      let restored: { file_path: string }[];
      try {
        restored = (await restoredDb.query(
          'SELECT file_path FROM attachment WHERE deleted_at IS NULL ORDER BY id',
        )) as { file_path: string }[];
      } finally {
        await restoredDb.destroy();
      }
      expect(restored).toEqual(rows);
      // The files stay where they were: every restored row's key is still in the store.
      for (const row of restored) {
        const [, entity, id, name] = row.file_path.split('/');
        expect(await store.stored(entity!, Number(id))).toContain(name);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  const onLocalDisk = storage === 'local disk' ? it : it.skip;

  onLocalDisk(
    'keeps a comment thread with author and time for everyone who may read the record',
    async () => {
      const first = await api.call('planner', 'POST', `/api/work-orders/${ownOrder}/comments`, {
        body: 'Material arrives Tuesday',
      });
      expect(first.statusCode).toBe(201);
      const second = await api.call('operator', 'POST', `/api/work-orders/${ownOrder}/comments`, {
        body: '  Fixture 3 is worn  ',
      });
      expect(second.statusCode).toBe(201);
      const thread = await api.call('operator', 'GET', `/api/work-orders/${ownOrder}/comments`);
      expect(thread.statusCode).toBe(200);
      const items = (thread.json().data as { items: Row[] }).items;
      expect(items.map((c) => c.body)).toEqual(['Material arrives Tuesday', 'Fixture 3 is worn']);
      const names = await api.query<{ username: string; real_name: string }>(
        "SELECT username, real_name FROM sys_user WHERE username IN ('planner', 'operator')",
      );
      const nameOf = (u: string) => names.find((n) => n.username === u)!.real_name;
      expect(items.map((c) => (c.author as Row).name)).toEqual([nameOf('planner'), nameOf('operator')]);
      expect(typeof items[0]!.createdAt).toBe('string');

      const empty = await api.call('planner', 'POST', `/api/work-orders/${ownOrder}/comments`, { body: '' });
      expect(empty.statusCode).toBe(422);
      expect(empty.json().errors[0]).toMatchObject({ field: 'body' });
      const tooLong = await api.call('planner', 'POST', `/api/work-orders/${ownOrder}/comments`, {
        body: 'x'.repeat(4001),
      });
      expect(tooLong.statusCode).toBe(422);
      expect(
        (await api.call('operator', 'POST', `/api/work-orders/${otherOrder}/comments`, { body: 'hi' }))
          .statusCode,
      ).toBe(404);
      expect((await api.call('operator', 'GET', `/api/work-orders/${otherOrder}/comments`)).statusCode).toBe(
        404,
      );
      const audit = await api.query<{ actor_name: string }>(
        "SELECT actor_name FROM audit_log WHERE entity_name = 'record_comment' ORDER BY id",
      );
      expect(audit.map((a) => a.actor_name)).toEqual(['planner', 'operator']);
    },
  );

  onLocalDisk(
    'has no attachments or comments on entities that do not declare them, and none for a role without read',
    async () => {
      expect((await api.call('admin', 'GET', '/api/units/1/attachments')).statusCode).toBe(404);
      expect((await api.call('admin', 'GET', '/api/units/1/comments')).statusCode).toBe(404);
      // The operator reads no inspections.
      expect(
        (await api.call('operator', 'GET', `/api/inspections/${inspectionId}/comments`)).statusCode,
      ).toBe(403);
      const meta = (await api.call('planner', 'GET', '/api/meta/entities/work-orders')).json().data as Row;
      expect(meta).toMatchObject({ attachments: { maxSize: 10 * 1024 * 1024, accept: [] }, comments: true });
    },
  );
  const onS3 = storage === 'S3 (s3rver)' ? it : it.skip;

  onS3(
    'answers 503 naming the file store while S3 cannot be reached, and writes no attachment row',
    async () => {
      const added = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
        name: 'kept.txt',
        type: 'text/plain',
        content: Buffer.from('stored while the store was up'),
      });
      expect(added.statusCode).toBe(201);
      const kept = added.json().data as Row;
      const rows = async () =>
        (await api.query<{ n: number }>('SELECT COUNT(*) AS n FROM attachment WHERE deleted_at IS NULL'))[0]!
          .n;
      const before = await rows();
      const up = await api.server.app.inject({ method: 'GET', url: '/health/ready' });
      expect(up.json().data).toMatchObject({
        status: 'ready',
        checks: expect.arrayContaining([{ name: 'files', status: 'up' }]),
      });
      await s3!.stop();

      const refused = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
        name: 'late.pdf',
        type: 'application/pdf',
        content: Buffer.from('%PDF-1.4 late'),
      });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(refused.json().message).toContain('cannot be reached storing the file');
      expect(refused.json().message).toContain('S3 bucket mes-files');
      expect(await rows()).toBe(before);

      const download = await api.call(
        'operator',
        'GET',
        `/api/work-orders/${ownOrder}/attachments/${String(kept.id)}`,
      );
      expect(download.statusCode).toBe(503);
      expect(download.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      // Deleting needs the store too: nothing changes until it is back.
      const deletion = await api.call(
        'planner',
        'DELETE',
        `/api/work-orders/${ownOrder}/attachments/${String(kept.id)}`,
      );
      expect(deletion.statusCode).toBe(503);
      expect(await rows()).toBe(before);

      // Readiness reports the store, degraded: everything else serves on.
      const ready = await api.server.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().data).toMatchObject({
        status: 'degraded',
        checks: expect.arrayContaining([expect.objectContaining({ name: 'files', status: 'down' })]),
      });
    },
  );
});
