/**
 * Attachments and comments of records over HTTP, as the roles that use them: the record decides who
 * may list, download, upload, delete and comment (its read or update permission and row scope), the
 * entity's attachment policy limits size and type, and every write is in the audit trail with its
 * actor. Entities that declare neither feature have no such routes.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('attachments and comments on records (SQLite)', () => {
  let api: SecurityServer;
  let files: string;
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
    files = mkdtempSync(join(tmpdir(), 'mes-files-'));
    api = await startSecurityServer('sqlite', 'record-files', { MES_FILES_DIR: files });
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
    rmSync(files, { recursive: true, force: true });
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
  });

  it('holds uploads to the entity policy: size and type, naming the rule', async () => {
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
    const report = await upload('inspector', `/api/inspections/${inspectionId}/attachments`, {
      name: 'measurements.csv',
      type: 'text/csv',
      content: Buffer.from('dim,value\nA,1.02\n'),
    });
    expect(report.statusCode).toBe(201);
    const noFile = await api.call('planner', 'POST', `/api/work-orders/${ownOrder}/attachments`, {});
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().errors[0]).toMatchObject({ field: 'file' });
  });

  it('deletes a file for the planner: gone from the list and the disk, the deletion audited', async () => {
    const added = await upload('planner', `/api/work-orders/${ownOrder}/attachments`, {
      name: 'old.txt',
      type: 'text/plain',
      content: Buffer.from('superseded'),
    });
    const id = (added.json().data as Row).id as number;
    const onDisk = () => readdirSync(join(files, 'DEMO', 'work_order', String(ownOrder))).length;
    const before = onDisk();
    const deleted = await api.call('planner', 'DELETE', `/api/work-orders/${ownOrder}/attachments/${id}`);
    expect(deleted.statusCode).toBe(200);
    expect(onDisk()).toBe(before - 1);
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

  it('keeps a comment thread with author and time for everyone who may read the record', async () => {
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
  });

  it('has no attachments or comments on entities that do not declare them, and none for a role without read', async () => {
    expect((await api.call('admin', 'GET', '/api/units/1/attachments')).statusCode).toBe(404);
    expect((await api.call('admin', 'GET', '/api/units/1/comments')).statusCode).toBe(404);
    // The operator reads no inspections.
    expect((await api.call('operator', 'GET', `/api/inspections/${inspectionId}/comments`)).statusCode).toBe(
      403,
    );
    const meta = (await api.call('planner', 'GET', '/api/meta/entities/work-orders')).json().data as Row;
    expect(meta).toMatchObject({ attachments: { maxSize: 10 * 1024 * 1024, accept: [] }, comments: true });
  });
});
