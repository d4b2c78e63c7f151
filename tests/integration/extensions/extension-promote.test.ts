import type { RunningServer } from '../../../platform/src/bootstrap/start-server';
import {
  bootServer,
  testDatabase,
  type PluginTestDatabase,
  type TestDialect,
} from '../plugins/plugin-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface Envelope<T> {
  data: T;
}
interface ErrorEnvelope {
  code: string;
  message: string;
  errors?: { field: string; path: string; rule: string }[];
}
interface SupplierRow {
  supplierName: string;
  auditScore?: number;
  riskClass?: string;
}

const FIELDS_URL = '/api/admin/extensions/supplier_master/fields';
const SCORE_FIELD = { name: 'audit_score', type: 'integer', label: { en: 'Audit score' } };
const RISK_FIELD = {
  name: 'risk_class',
  type: 'enum',
  values: ['LOW', 'MEDIUM', 'HIGH'],
  label: { en: 'Risk' },
};
const APPROVED_FIELD = { name: 'approved', type: 'boolean', label: { en: 'Approved' } };
const AUDITED_FIELD = { name: 'audited_on', type: 'date', label: { en: 'Audited on' } };
const NOTES_FIELD = { name: 'audit_notes', type: 'text', label: { en: 'Audit notes' } };

describe.each<TestDialect>(TEST_DIALECTS)('promoting extension fields on %s', (dialect) => {
  let database: PluginTestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = testDatabase(dialect, 'extpromote');
    server = await bootServer(database);
    for (const field of [SCORE_FIELD, RISK_FIELD, APPROVED_FIELD, AUDITED_FIELD, NOTES_FIELD])
      expect((await call('POST', FIELDS_URL, field)).statusCode).toBe(201);
    // Rows written before the promotion: the generated column must show their values too.
    for (const [supplierName, auditScore, riskClass] of [
      ['Alpha', 80, 'LOW'],
      ['Bravo', 45, 'HIGH'],
      ['Charlie', 92, 'MEDIUM'],
      ['Delta', undefined, undefined],
    ] as const)
      expect((await call('POST', '/api/suppliers', { supplierName, auditScore, riskClass })).statusCode).toBe(
        201,
      );
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    server.app.inject({ method, url, headers: { 'x-tenant-id': 'demo' }, ...(payload ? { payload } : {}) });

  const names = async (url: string): Promise<string[]> => {
    const response = await call('GET', url);
    expect(response.statusCode).toBe(200);
    return response.json<Envelope<{ items: SupplierRow[] }>>().data.items.map((r) => r.supplierName);
  };

  /** SQL statements the server issues while `action` runs. */
  const sqlDuring = async (action: () => Promise<unknown>): Promise<string[]> => {
    const statements: string[] = [];
    const logger = server.dataSource.logger;
    const spy = jest.spyOn(logger, 'logQuery').mockImplementation((query: string) => {
      statements.push(query);
    });
    try {
      await action();
    } finally {
      spy.mockRestore();
    }
    return statements;
  };

  const setFlags = async (supplierName: string, changes: object): Promise<void> => {
    const listed = await call('GET', `/api/suppliers?filter[supplierName]=${supplierName}`);
    const [row] = listed.json<Envelope<{ items: { id: number; version: number }[] }>>().data.items;
    const updated = await call('PATCH', `/api/suppliers/${row.id}`, { ...changes, version: row.version });
    expect(updated.statusCode).toBe(200);
  };

  const generatedColumns = async (): Promise<string[]> => {
    if (dialect === 'sqlite') {
      const rows = (await server.dataSource.query(
        "SELECT name FROM pragma_table_xinfo('supplier_master') WHERE hidden IN (2, 3)",
      )) as { name: string }[];
      return rows.map((r) => r.name);
    }
    const rows = (await server.dataSource.query(
      "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'supplier_master' AND EXTRA LIKE '%GENERATED%'",
    )) as { name: string }[];
    return rows.map((r) => r.name);
  };

  /** Columns of the index on the generated column, in order ([] when there is none). */
  const indexColumns = async (index: string): Promise<string[]> => {
    if (dialect === 'sqlite') {
      const listed = (await server.dataSource.query('PRAGMA index_list(supplier_master)')) as {
        name: string;
      }[];
      if (!listed.some((i) => i.name === index)) return [];
      const info = (await server.dataSource.query(`PRAGMA index_info("${index}")`)) as { name: string }[];
      return info.map((c) => c.name);
    }
    const rows = (await server.dataSource.query(
      "SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'supplier_master' AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX",
      [index],
    )) as { name: string }[];
    return rows.map((r) => r.name);
  };

  it('answers 404 for an unknown field or entity and 422 for a long text field', async () => {
    const unknown = await call('POST', `${FIELDS_URL}/no_such_field/promote`);
    expect(unknown.statusCode).toBe(404);
    expect(
      (await call('POST', '/api/admin/extensions/no_such_entity/fields/audit_score/promote')).statusCode,
    ).toBe(404);
    const text = await call('POST', `${FIELDS_URL}/audit_notes/promote`);
    expect(text.statusCode).toBe(422);
    expect(text.json<ErrorEnvelope>().errors).toEqual([
      expect.objectContaining({ path: '/definition/type', rule: 'promotable' }),
    ]);
    expect(await generatedColumns()).toEqual([]);
  });

  it('adds the generated column and its (tenant_id, column) index, showing the existing rows', async () => {
    const promoted = await call('POST', `${FIELDS_URL}/audit_score/promote`);
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json<Envelope<{ promotedColumn: string }>>().data.promotedColumn).toBe('x_audit_score');
    expect(await generatedColumns()).toEqual(['x_audit_score']);
    expect(await indexColumns('idx_supplier_master_x_audit_score')).toEqual(['tenant_id', 'x_audit_score']);
    const rows = (await server.dataSource.query(
      'SELECT supplier_name, x_audit_score FROM supplier_master ORDER BY supplier_name',
    )) as { supplier_name: string; x_audit_score: number | string | null }[];
    expect(
      rows.map((r) => [r.supplier_name, r.x_audit_score === null ? null : Number(r.x_audit_score)]),
    ).toEqual([
      ['Alpha', 80],
      ['Bravo', 45],
      ['Charlie', 92],
      ['Delta', null],
    ]);
  });

  it('filters and sorts on the field through the column, not the JSON function', async () => {
    let filtered: string[] = [];
    const sql = await sqlDuring(async () => {
      filtered = await names('/api/suppliers?filter[auditScore][gte]=50&sort=-auditScore');
    });
    expect(filtered).toEqual(['Charlie', 'Alpha']);
    const listSql = sql.filter((s) => s.includes('supplier_master'));
    expect(listSql.length).toBeGreaterThan(0);
    for (const statement of listSql) {
      expect(statement).toContain('x_audit_score');
      expect(statement).not.toMatch(/json_extract/i);
    }
    expect(await names('/api/suppliers?sort=auditScore&filter[auditScore][notNull]=true')).toEqual([
      'Bravo',
      'Alpha',
      'Charlie',
    ]);
  });

  it('keeps writing to ext: a new or updated row is found through the column', async () => {
    const created = await call('POST', '/api/suppliers', { supplierName: 'Echo', auditScore: 61 });
    expect(created.statusCode).toBe(201);
    const { id, version } = created.json<Envelope<{ id: number; version: number }>>().data;
    expect(await names('/api/suppliers?filter[auditScore][between]=60,70')).toEqual(['Echo']);
    const updated = await call('PATCH', `/api/suppliers/${id}`, { auditScore: 99, version });
    expect(updated.statusCode).toBe(200);
    expect(await names('/api/suppliers?filter[auditScore]=99')).toEqual(['Echo']);
    const read = await call('GET', `/api/suppliers/${id}`);
    expect(read.json<Envelope<SupplierRow>>().data.auditScore).toBe(99);
  });

  it('promotes an enum field: equality and sort on text values', async () => {
    expect((await call('POST', `${FIELDS_URL}/risk_class/promote`)).statusCode).toBe(200);
    let high: string[] = [];
    const sql = await sqlDuring(async () => {
      high = await names('/api/suppliers?filter[riskClass][in]=HIGH,MEDIUM&sort=riskClass');
    });
    expect(high).toEqual(['Bravo', 'Charlie']);
    expect(sql.filter((s) => s.includes('x_risk_class')).length).toBeGreaterThan(0);
  });

  it('promotes boolean and date fields with the same answers as the JSON value', async () => {
    await setFlags('Alpha', { approved: true, auditedOn: '2026-03-01' });
    await setFlags('Charlie', { approved: false, auditedOn: '2025-11-15' });
    await setFlags('Bravo', { approved: true, auditedOn: '2026-01-20' });
    const before = await Promise.all([
      names('/api/suppliers?filter[approved]=true&sort=supplierName'),
      names('/api/suppliers?filter[auditedOn][gte]=2026-01-01&sort=-auditedOn'),
    ]);
    expect(before).toEqual([
      ['Alpha', 'Bravo'],
      ['Alpha', 'Bravo'],
    ]);
    for (const field of ['approved', 'audited_on'])
      expect((await call('POST', `${FIELDS_URL}/${field}/promote`)).statusCode).toBe(200);
    let after: string[][] = [];
    const sql = await sqlDuring(async () => {
      after = [
        await names('/api/suppliers?filter[approved]=true&sort=supplierName'),
        await names('/api/suppliers?filter[auditedOn][gte]=2026-01-01&sort=-auditedOn'),
      ];
    });
    expect(after).toEqual(before);
    expect(sql.some((s) => s.includes('x_approved'))).toBe(true);
    expect(sql.some((s) => s.includes('x_audited_on'))).toBe(true);
  });

  it('refuses a second promotion and the rename of a promoted field with 409', async () => {
    const again = await call('POST', `${FIELDS_URL}/audit_score/promote`);
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorEnvelope>().message).toMatch(/already promoted to column x_audit_score/);
    const rename = await call('PATCH', `${FIELDS_URL}/audit_score`, { name: 'audit_points' });
    expect(rename.statusCode).toBe(409);
    expect(rename.json<ErrorEnvelope>().message).toMatch(/demote it first/);
  });

  it('keeps the promotion after a restart (the Model follows ext_field)', async () => {
    await server.close();
    server = await bootServer(database);
    const sql = await sqlDuring(() => names('/api/suppliers?filter[auditScore][lt]=50'));
    expect(sql.some((s) => s.includes('x_audit_score'))).toBe(true);
    expect(await names('/api/suppliers?filter[auditScore][lt]=50')).toEqual(['Bravo']);
  }, 120_000);

  it('archiving drops the column and index; the values stay in ext and return with the field', async () => {
    expect((await call('DELETE', `${FIELDS_URL}/audit_score`)).statusCode).toBe(204);
    expect(await generatedColumns()).toEqual(['x_risk_class', 'x_approved', 'x_audited_on']);
    expect(await indexColumns('idx_supplier_master_x_audit_score')).toEqual([]);
    expect((await call('POST', FIELDS_URL, SCORE_FIELD)).statusCode).toBe(201);
    const listed = (await call('GET', FIELDS_URL)).json<
      Envelope<{ name: string; promotedColumn: string | null }[]>
    >();
    expect(listed.data.find((f) => f.name === 'audit_score')?.promotedColumn).toBeNull();
    expect(await names('/api/suppliers?filter[auditScore][gte]=90&sort=supplierName')).toEqual([
      'Charlie',
      'Echo',
    ]);
  });
});
