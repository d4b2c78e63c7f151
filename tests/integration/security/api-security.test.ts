/**
 * End to end through the real server and the core metadata: tokens on the API, permissions per demo
 * role, masking, tenant isolation by id, and the audit record of every write.
 */
import { toSnapshot } from '../../../metadata/src/model/snapshot';
import { waitFor } from '../../support/wait-for';
import { expectIntactAuditChain } from '../../support/sealed-audit';
import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import { EngineDatabase } from '../../../platform/src/data/database';
import { DEMO_USERS, seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import { TestSessions } from '../../support/stale-token';
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('API security end to end on %s', (dialect) => {
  let mes: SecurityServer;
  let server: RunningServer;
  let sessions: TestSessions;

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'api');
    server = mes.server;
    await seedDemoSecurity(mes.database, server.registry.current(), 'OTHER', { MES_DEMO_PASSWORD: PASSWORD });
    // Sessions by `<tenant>:<username>`.
    sessions = new TestSessions(
      (request) => server.app.inject(request),
      (who) => {
        const [tenant, username] = who.split(':');
        return { tenant, username, password: PASSWORD };
      },
    );
    for (const [tenant, username] of [
      ['DEMO', 'admin'],
      ['DEMO', 'auditor'],
      ['DEMO', 'operator'],
      ['DEMO', 'planner'],
      ['OTHER', 'admin'],
    ])
      await sessions.signIn(`${tenant}:${username}`);
  });
  afterAll(() => mes?.stop());

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    sessions.send(who, (token) =>
      server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } }),
    );

  it('refuses the entity API without a token', async () => {
    expect((await server.app.inject({ url: '/api/departments' })).statusCode).toBe(401);
  });

  it('lets each role do its job and nothing more', async () => {
    const created = await call('DEMO:admin', 'POST', '/api/departments', {
      deptCode: 'PROD',
      deptName: 'Production',
    });
    expect(created.statusCode).toBe(201);
    expect((await call('DEMO:auditor', 'GET', '/api/departments')).statusCode).toBe(200);
    const denied = await call('DEMO:auditor', 'POST', '/api/departments', {
      deptCode: 'QA',
      deptName: 'Quality',
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'FORBIDDEN' });
    const id = (created.json().data as { id: number }).id;
    expect((await call('DEMO:operator', 'DELETE', `/api/departments/${id}`)).statusCode).toBe(403);
  });

  it('never returns password hashes and masks sensitive fields without unmask', async () => {
    const admin = await call('DEMO:admin', 'GET', '/api/users?pageSize=50');
    expect(admin.statusCode).toBe(200);
    const users = (admin.json().data as { items: Record<string, unknown>[] }).items;
    expect(users.map((user) => user.username).sort()).toEqual(DEMO_USERS.map((user) => user.username).sort());
    for (const user of users) expect(user).not.toHaveProperty('passwordHash');
  });

  it('gives the demo users department codes numbered by the engine sequence', async () => {
    const users = await call('DEMO:admin', 'GET', '/api/users?pageSize=50&fields=username,userCode');
    const codes = Object.fromEntries(
      (users.json().data as { items: { username: string; userCode: string }[] }).items.map((u) => [
        u.username,
        u.userCode,
      ]),
    );
    expect(codes).toMatchObject({
      admin: 'DEMO-IT-0001',
      planner: 'DEMO-PRD-0001',
      operator: 'DEMO-PRD-0002',
    });
  });

  it("answers 404 for another tenant's record on read, update and delete", async () => {
    const other = await call('OTHER:admin', 'POST', '/api/departments', {
      deptCode: 'SECRET',
      deptName: 'Other tenant',
    });
    expect(other.statusCode).toBe(201);
    const { id, version } = other.json().data as { id: number; version: number };
    expect((await call('DEMO:admin', 'GET', `/api/departments/${id}`)).statusCode).toBe(404);
    expect(
      (await call('DEMO:admin', 'PATCH', `/api/departments/${id}`, { deptName: 'Taken', version }))
        .statusCode,
    ).toBe(404);
    expect((await call('DEMO:admin', 'DELETE', `/api/departments/${id}`)).statusCode).toBe(404);
    expect((await call('OTHER:admin', 'GET', `/api/departments/${id}`)).json().data).toMatchObject({
      deptName: 'Other tenant',
    });
  });

  it("serves a record's audit history to those who may read the record, and guards export", async () => {
    const list = await call('DEMO:admin', 'GET', '/api/departments?filter[deptCode]=PROD');
    const { id } = (list.json().data as { items: { id: number }[] }).items[0];
    const history = await call('DEMO:auditor', 'GET', `/api/departments/${id}/audit`);
    expect(history.statusCode).toBe(200);
    expect(history.json().data).toEqual([
      expect.objectContaining({
        action: 'CREATE',
        diff: { added: expect.objectContaining({ deptCode: 'PROD' }) },
      }),
    ]);
    expect((await call('OTHER:admin', 'GET', `/api/departments/${id}/audit`)).statusCode).toBe(404);
    expect((await call('DEMO:auditor', 'GET', '/api/departments/export')).statusCode).toBe(403);
    expect((await call('DEMO:admin', 'GET', '/api/departments/export')).statusCode).toBe(200);
  });

  it("answers 404 for another tenant's row of every entity on read, update and delete", async () => {
    const model = server.registry.current();
    const snapshot = toSnapshot(model);
    // Raw rows without their referenced rows: foreign keys off on one connection of its own.
    const runner = server.dataSource.createQueryRunner();
    await runner.query(dialect === 'sqlite' ? 'PRAGMA foreign_keys = OFF' : 'SET FOREIGN_KEY_CHECKS = 0');
    const leaks: string[] = [];
    let placeholderSeq = 0;
    try {
      for (const entity of model.entities.values()) {
        const table = snapshot.tables[entity.table];
        // A raw row in the audit chain would be (and be reported as) tampering.
        if (!table || !entity.tenantScoped || entity.name === 'audit_log') continue;
        const columns = table.columns.filter(
          (c) => !c.nullable && c.default === undefined && !c.generated && c.name !== 'id',
        );
        const values = columns.map((c) =>
          c.name === 'tenant_id'
            ? 'OTHER'
            : placeholder(c.type, c.length, 900_000 + leaks.length + placeholderSeq++),
        );
        const inserted = await runner.query(
          `INSERT INTO ${entity.table} (${columns.map((c) => c.name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING id`,
          values,
        );
        const id = Number((inserted as { id: number }[])[0].id);
        const url = `/api/${entity.path}/${id}`;
        for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
          const response = await call(
            'DEMO:admin',
            method,
            url,
            method === 'PATCH' ? { version: 1 } : undefined,
          );
          if (response.statusCode !== 404) leaks.push(`${method} ${url}: ${response.statusCode}`);
        }
      }
    } finally {
      await runner.query(dialect === 'sqlite' ? 'PRAGMA foreign_keys = ON' : 'SET FOREIGN_KEY_CHECKS = 1');
      await runner.release();
    }
    expect(leaks).toEqual([]);
  });

  it('audits every write in an intact per-tenant chain', async () => {
    const rows = await server.dataSource.query(
      "SELECT action, entity_name, actor_id FROM audit_log WHERE entity_name = 'department' ORDER BY id",
    );
    expect(rows).toEqual([
      expect.objectContaining({ action: 'CREATE', entity_name: 'department' }),
      expect.objectContaining({ action: 'CREATE', entity_name: 'department' }),
    ]);
    // The server's own sealer links the records shortly after their commits, unasked.
    await waitFor('the background sealer', async () => {
      const [pending] = await server.dataSource.query(
        'SELECT COUNT(*) AS n FROM audit_log WHERE seq IS NULL',
      );
      return Number((pending as { n: number | string }).n) === 0;
    });
    await expectIntactAuditChain(new EngineDatabase(server.dataSource));
  });

  it('guards bulk delete like delete: the permission, then the tenant and scope of every row', async () => {
    const created = await call('DEMO:admin', 'POST', '/api/departments/bulk', {
      mode: 'create',
      rows: [
        { deptCode: 'BULKA', deptName: 'Bulk one' },
        { deptCode: 'BULKB', deptName: 'Bulk two' },
      ],
    });
    expect(created.json()).toMatchObject({ code: 'OK' });
    const ids = (created.json().data as { ids: number[] }).ids;
    const rows = ids.map((id) => ({ id, version: 1 }));
    const refused = await call('DEMO:auditor', 'POST', '/api/departments/bulk', { mode: 'delete', rows });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toContain('department:delete');
    // A request without rows needs the mode's permission all the same.
    const empty = await call('DEMO:auditor', 'POST', '/api/departments/bulk', { mode: 'create', rows: [] });
    expect(empty.statusCode).toBe(403);
    expect(empty.json().message).toContain('department:create');
    // Rows of another tenant are rows that do not exist: each is named, and nothing is deleted.
    const foreign = await call('OTHER:admin', 'POST', '/api/departments/bulk', { mode: 'delete', rows });
    const absent = await call('OTHER:admin', 'POST', '/api/departments/bulk', {
      mode: 'delete',
      rows: [{ id: 999_999, version: 1 }],
    });
    expect(foreign.statusCode).toBe(422);
    expect(absent.statusCode).toBe(422);
    const rowErrors = (response: typeof foreign) =>
      (response.json().rows as { errors: { path: string; message: string }[] }[]).map((row) =>
        row.errors.map((e) => ({
          ...e,
          path: e.path.replace(/\d+/, '<row>'),
          message: e.message.replace(/\d+/, '<id>'),
        })),
      );
    expect(rowErrors(foreign)).toEqual([rowErrors(absent)[0], rowErrors(absent)[0]]);
    expect(rowErrors(absent)[0]).toEqual([expect.objectContaining({ field: 'id', rule: 'exists' })]);
    const deleted = await call('DEMO:admin', 'POST', '/api/departments/bulk', { mode: 'delete', rows });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().data).toMatchObject({ deleted: 2, ids });
    for (const id of ids)
      expect((await call('DEMO:admin', 'GET', `/api/departments/${id}`)).statusCode).toBe(404);
    const unknownMode = await call('DEMO:admin', 'POST', '/api/departments/bulk', { mode: 'purge', rows });
    expect(unknownMode.statusCode).toBe(400);
    expect(unknownMode.json().errors[0]).toMatchObject({ field: 'mode', rule: 'enum' });
  });
});

/** A value any NOT NULL column of the type accepts. */
function placeholder(type: string, length: number | undefined, unique: number): unknown {
  if (type === 'varchar' || type === 'text') return 'X'.slice(0, length ?? 1);
  if (type === 'date') return '2026-01-01';
  if (type === 'datetime') return '2026-01-01 00:00:00';
  if (type === 'json') return '{}';
  return unique;
}
