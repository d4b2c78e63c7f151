/**
 * RBAC outside the CRUD pipeline and the audit of grants, through the real server on SQLite and
 * MariaDB: line/plant memberships restrict the `line` scope, workflow actions need `<entity>:<action>`
 * and a row inside the scope, trace needs read on serials and lots and hides unreadable kinds, and
 * permission and metadata changes append audit records to an intact chain.
 */
import { expectIntactAuditChain } from '../../support/sealed-audit';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { findAccount, loadPrincipal } from '../../../platform/src/security/auth/principal-store';
import { scopeFilter } from '../../../platform/src/security/authorization/row-scope';
import type { Principal } from '../../../platform/src/security/principal';
import { writeGenealogy } from '../../../platform/src/trace/genealogy';
import { startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('access and audit on %s', (dialect) => {
  let mes: SecurityServer;
  const ids: Record<string, number> = {};
  const path = (entity: string) => `/api/${mes.server.registry.current().entities.get(entity)!.path}`;
  const create = async (entity: string, body: object): Promise<{ id: number; version: number }> => {
    const response = await mes.call('admin', 'POST', path(entity), body);
    if (response.statusCode !== 201) throw new Error(`${entity}: ${response.body}`);
    return response.json().data as { id: number; version: number };
  };

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'access');
    ids.plant = (await create('plant', { plantCode: 'P1', plantName: 'Plant one' })).id;
    ids.line1 = (
      await create('production_line', { lineCode: 'L1', lineName: 'Line 1', plantId: ids.plant })
    ).id;
    ids.line2 = (
      await create('production_line', { lineCode: 'L2', lineName: 'Line 2', plantId: ids.plant })
    ).id;
    ids.ws1 = (await create('workstation', { stationCode: 'WS1', stationName: 'S1', lineId: ids.line1 })).id;
    ids.ws2 = (await create('workstation', { stationCode: 'WS2', stationName: 'S2', lineId: ids.line2 })).id;
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', { itemName: 'Housing', itemType: 'RAW', uomId: uom.id });
    for (const [key, line] of [
      ['wo1', ids.line1],
      ['wo2', ids.line2],
    ] as const)
      ids[key] = (
        await create('work_order', {
          itemId: item.id,
          lineId: line,
          plannedQuantity: 10,
          plannedStart: '2026-12-01T08:00:00Z',
        })
      ).id;
  });
  afterAll(async () => {
    await mes?.stop();
  });

  it('audits a change of line membership as PERMISSION_CHANGE and scopes the operator to the line', async () => {
    const [operator] = await mes.query<{ id: number; version: number }>(
      "SELECT id, version FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'operator'",
    );
    const patched = await mes.call('admin', 'PATCH', `${path('user')}/${operator.id}`, {
      linesIds: [ids.line1],
      version: Number(operator.version),
    });
    expect(patched.statusCode).toBe(200);
    const audit = await mes.query<{ action: string; diff: unknown }>(
      "SELECT action, diff FROM audit_log WHERE entity_name = 'user' AND action = 'PERMISSION_CHANGE'",
    );
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0].diff)).toContain(String(ids.line1));

    mes.forget('operator');
    const stations = await mes.call('operator', 'GET', path('workstation'));
    expect(stations.statusCode).toBe(200);
    expect((stations.json().data.items as { id: number }[]).map((s) => s.id)).toEqual([ids.ws1]);
    expect((await mes.call('operator', 'GET', `${path('workstation')}/${ids.ws2}`)).statusCode).toBe(404);
  });

  it('restricts the plant scope to the plants of the user (a line makes its plant a membership)', async () => {
    const model = mes.server.registry.current();
    const db = mes.database.executor();
    const account = await findAccount(db, model, 'DEMO', { username: 'operator' });
    const operator = await loadPrincipal(db, model, 'DEMO', account!);
    expect(operator).toMatchObject({ lineIds: [ids.line1], plantIds: [ids.plant] });
    const clerkAccount = await findAccount(db, model, 'DEMO', { username: 'clerk' });
    const clerk = await loadPrincipal(db, model, 'DEMO', clerkAccount!);
    expect(clerk).toMatchObject({ lineIds: [], plantIds: [] });
    const engine = new EntityService(mes.database);
    const stationsInPlantScope = async (principal: Principal) => {
      const scope = scopeFilter(principal, model, model.entities.get('workstation')!, ['plant']);
      const query = engine.parseListQuery('workstation', {}, model);
      const page = await engine.list(
        'workstation',
        { ...query, filter: { kind: 'and', conditions: [scope!] } },
        { tenantId: 'DEMO', userId: null, traceId: 'plant-scope', model },
      );
      return page.items.map((row) => row.id);
    };
    expect(await stationsInPlantScope(operator)).toEqual(expect.arrayContaining([ids.ws1, ids.ws2]));
    expect(await stationsInPlantScope(clerk)).toEqual([]);
  });

  it('guards workflow actions: permission named, rows outside the scope are 404', async () => {
    const release = await mes.call(
      'operator',
      'POST',
      `${path('work_order')}/${ids.wo1}/actions/release`,
      {},
    );
    expect(release.statusCode).toBe(403);
    expect(release.body).toContain('work_order:release');
    for (const url of [`/${ids.wo2}/actions/start`, `/${ids.wo2}/actions`, `/${ids.wo2}/history`]) {
      const method = url.endsWith('start') ? 'POST' : 'GET';
      expect(
        (
          await mes.call(
            'operator',
            method,
            `${path('work_order')}${url}`,
            method === 'POST' ? {} : undefined,
          )
        ).statusCode,
      ).toBe(404);
    }
    expect((await mes.call('operator', 'GET', `${path('work_order')}/${ids.wo1}/actions`)).statusCode).toBe(
      200,
    );
    expect((await mes.call('operator', 'GET', `${path('work_order')}/${ids.wo1}/history`)).statusCode).toBe(
      200,
    );
    const started = await mes.call('operator', 'POST', `${path('work_order')}/${ids.wo1}/actions/start`, {});
    // Past the permission and the row scope, the state machine refuses: a draft cannot be started.
    expect([started.statusCode, started.json().code]).toEqual([422, 'BUSINESS_RULE']);
    const released = await mes.call(
      'planner',
      'POST',
      `${path('work_order')}/${ids.wo2}/actions/release`,
      {},
    );
    expect(released.statusCode).toBe(201);
  });

  it('needs read on serials and lots to trace, and leaves out kinds the caller may not read', async () => {
    await mes.database.transaction((tx) =>
      writeGenealogy(tx, 'DEMO', [
        { from: 'WO:WO-SEC-1', to: 'LOT:LOT-SEC-1', relation: 'PRODUCED' },
        { from: 'LOT:LOT-SEC-1', to: 'SN:SN-SEC-1', relation: 'PRODUCED' },
        { from: 'SN:SN-SEC-1', to: 'BOX:BOX-SEC-1', relation: 'PACKED' },
      ]),
    );
    const denied = await mes.call('clerk', 'GET', '/api/trace/forward?lotId=LOT-SEC-1');
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('serial_number:read');
    const analyst = await mes.call('analyst', 'GET', '/api/trace/forward?lotId=LOT-SEC-1');
    expect(analyst.statusCode).toBe(200);
    expect(analyst.json().data.serials.map((n: { key: string }) => n.key)).toEqual(['SN-SEC-1']);
    expect(analyst.json().data.boxes).toEqual([]);
    expect(JSON.stringify(analyst.json().data.graph)).not.toContain('BOX-SEC-1');
    const auditor = await mes.call('auditor', 'GET', '/api/trace/forward?lotId=LOT-SEC-1');
    expect(auditor.json().data.boxes.map((n: { key: string }) => n.key)).toEqual(['BOX-SEC-1']);
    expect((await mes.call('analyst', 'GET', '/api/trace/reverse?boxNo=BOX-SEC-1')).statusCode).toBe(403);
  });

  it("leaves out trace nodes whose records lie outside the caller's row scope", async () => {
    const woNo = async (id: number) =>
      (await mes.call('admin', 'GET', `${path('work_order')}/${id}`)).json().data.woNo as string;
    const [onLine1, onLine2] = [await woNo(ids.wo1), await woNo(ids.wo2)];
    await mes.database.transaction((tx) =>
      writeGenealogy(tx, 'DEMO', [
        { from: `WO:${onLine1}`, to: 'LOT:LOT-SEC-2', relation: 'PRODUCED' },
        { from: `WO:${onLine2}`, to: 'LOT:LOT-SEC-2', relation: 'PRODUCED' },
        { from: 'LOT:LOT-SEC-2', to: 'SN:SN-SEC-2', relation: 'PRODUCED' },
      ]),
    );
    const workOrders = async (who: string) => {
      const response = await mes.call(who, 'GET', '/api/trace/reverse?sn=SN-SEC-2');
      expect(response.statusCode).toBe(200);
      return (response.json().data.workOrders as { key: string }[]).map((node) => node.key).sort();
    };
    expect(await workOrders('operator')).toEqual([onLine1]);
    expect(await workOrders('analyst')).toEqual([onLine1, onLine2].sort());
  });

  it('audits role and permission writes, role permissions included, as PERMISSION_CHANGE', async () => {
    const permission = await create('permission', {
      permissionCode: 'work_order:release',
      permissionName: 'Release work orders',
    });
    const role = await create('role', {
      roleCode: 'line_lead',
      roleName: 'Line lead',
      permissions: [{ permissionId: permission.id }],
    });
    const revoked = await mes.call('admin', 'PATCH', `${path('role')}/${role.id}`, {
      permissions: [],
      version: role.version,
    });
    expect(revoked.statusCode).toBe(200);
    const rows = await mes.query<{
      entity_name: string;
      record_id: string;
      transition: string;
      diff: unknown;
    }>(
      "SELECT entity_name, record_id, transition, diff FROM audit_log WHERE action = 'PERMISSION_CHANGE' AND entity_name <> 'user' ORDER BY id",
    );
    expect(rows).toEqual([
      expect.objectContaining({
        entity_name: 'permission',
        record_id: String(permission.id),
        transition: 'create',
      }),
      expect.objectContaining({ entity_name: 'role', record_id: String(role.id), transition: 'create' }),
      expect.objectContaining({ entity_name: 'role', record_id: String(role.id), transition: 'update' }),
    ]);
    const [update] = await mes.query<{ diff: unknown }>(
      "SELECT diff FROM audit_log WHERE action = 'UPDATE' AND entity_name = 'role' AND record_id = ?",
      [String(role.id)],
    );
    // The before image holds the child rows, so the diff names the permission the update removed.
    const diff = (typeof update?.diff === 'string' ? JSON.parse(update.diff) : update?.diff) as {
      children: { permissions: { removed: { permissionId: number }[] } };
    };
    expect(diff.children.permissions.removed).toEqual([
      expect.objectContaining({ permissionId: permission.id }),
    ]);
  });

  it('audits metadata changes and keeps the chain verifiable', async () => {
    const added = await mes.call('admin', 'POST', '/api/admin/extensions/customer/fields', {
      name: 'credit_grade',
      type: 'string',
      length: 8,
      label: { en: 'Credit grade' },
    });
    expect(added.statusCode).toBe(201);
    const rows = await mes.query<{ record_id: string; transition: string; actor_name: string }>(
      "SELECT record_id, transition, actor_name FROM audit_log WHERE action = 'METADATA_CHANGE' AND entity_name = 'extension_field'",
    );
    expect(rows).toEqual([{ record_id: 'customer.credit_grade', transition: 'add', actor_name: 'admin' }]);
    const logins = await mes.query<{ action: string }>(
      "SELECT DISTINCT action FROM audit_log WHERE action IN ('LOGIN', 'LOGIN_FAILED', 'LOGOUT')",
    );
    expect(logins.map((r) => r.action)).toContain('LOGIN');
    await expectIntactAuditChain(mes.database);
  });
});
