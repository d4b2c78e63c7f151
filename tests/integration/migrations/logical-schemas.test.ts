/**
 * DATABASE_SCHEMA_<LOGICAL> on MariaDB: the real migrations and core metadata place the `log` and
 * `bi` logical databases' tables in schemas of their own, the engine reads and writes them there
 * (records, audit chain, record history), and `mes backup` / `mes restore` carry every schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection, type Connection } from 'mysql2/promise';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { loadDatabaseConfig } from '../../../platform/src/data/connection';
import { backup, restore } from '../../../platform/src/ops/backup';
import { dropMysqlDatabase, mysqlUrl } from './helpers';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const base = `mes_test_schemas_${process.pid}`;
const restored = `${base}_r`;
const databases = [base, `${base}_log`, `${base}_bi`, restored, `${restored}_log`, `${restored}_bi`];
const LOG_TABLES = [
  'audit_log',
  'business_operation_log',
  'login_log',
  'operation_log',
  'security_audit_log',
];
const BI_TABLES = ['alert_event', 'alert_notification', 'alert_rule'];

const environment = (database: string, folder: string) => ({
  DATABASE_URL: mysqlUrl(database),
  DATABASE_SCHEMA_LOG: `${database}_log`,
  DATABASE_SCHEMA_BI: `${database}_bi`,
  MES_ENCRYPTION_KEY_FILE: join(folder, 'encryption.key'),
  MES_JWT_SECRET: 'logical-schemas-secret-0123456789abcdef0123456789',
});

describe('logical databases placed in schemas of their own (MariaDB)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'mes-schemas-'));
  const env = environment(base, folder);
  let server: RunningServer;
  let closed = false;
  let sql: Connection;

  const tablesIn = async (schema: string): Promise<string[]> => {
    const [rows] = (await sql.query(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [schema],
    )) as unknown as [{ name: string }[]];
    return rows.map((row) => row.name);
  };
  const inject = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await server.app.inject({ method, url, payload: payload as Record<string, unknown> });
    return { status: response.statusCode, body: response.json<{ data: Record<string, unknown> }>() };
  };

  beforeAll(async () => {
    server = await startServer({
      env: { ...env, SEED_DEMO: 'false', MES_AUTH: 'off', LOG_LEVEL: 'warn' },
      listen: false,
      logDestination: quiet,
    });
    const url = new URL(mysqlUrl(base));
    sql = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: 'root' });
  }, 180_000);

  afterAll(async () => {
    if (!closed) await server?.close();
    await sql?.end();
    for (const database of databases) await dropMysqlDatabase(database);
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('creates the log and bi tables in their schemas and nowhere else', async () => {
    expect(await tablesIn(`${base}_log`)).toEqual(LOG_TABLES);
    expect(await tablesIn(`${base}_bi`)).toEqual(BI_TABLES);
    const core = await tablesIn(base);
    expect(core).toEqual(expect.arrayContaining(['work_order', 'plant', 'evt_outbox', 'migrations']));
    expect(core.filter((table) => [...LOG_TABLES, ...BI_TABLES].includes(table))).toEqual([]);
  });

  it('writes records of placed entities and the audit chain into those schemas, and reads them back', async () => {
    const plant = await inject('POST', '/api/plants', { plantCode: 'SCH-1', plantName: 'Schema plant' });
    expect(plant.status).toBe(201);
    const rule = await inject('POST', '/api/alert-rules', {
      ruleCode: 'SCH-RULE',
      ruleName: 'Low yield',
      ruleType: 'QUALITY',
      dataSource: 'work_order',
      metric: 'yield_rate',
      operator: 'LT',
      threshold: '95',
    });
    expect(rule.status).toBe(201);

    const [audits] = (await sql.query(
      `SELECT entity_name AS entity, action FROM \`${base}_log\`.audit_log WHERE record_id IN (?, ?) ORDER BY id`,
      [String(plant.body.data.id), String(rule.body.data.id)],
    )) as unknown as [{ entity: string; action: string }[]];
    expect(audits).toEqual([
      { entity: 'plant', action: 'CREATE' },
      { entity: 'alert_rule', action: 'CREATE' },
    ]);
    const [rules] = (await sql.query(
      `SELECT rule_code AS code FROM \`${base}_bi\`.alert_rule`,
    )) as unknown as [{ code: string }[]];
    expect(rules).toEqual([{ code: 'SCH-RULE' }]);

    const history = await inject('GET', `/api/plants/${String(plant.body.data.id)}/audit`);
    expect(history.status).toBe(200);
    expect(history.body.data).toEqual([expect.objectContaining({ action: 'CREATE' })]);
    const listed = await inject('GET', '/api/alert-rules?filter[ruleCode]=SCH-RULE');
    expect(listed.status).toBe(200);
    expect((listed.body.data.items as { ruleCode: string }[]).map((item) => item.ruleCode)).toEqual([
      'SCH-RULE',
    ]);
  });

  it('backs up every schema in one dump and restores it into another database and schemas', async () => {
    // Nothing writes in the background while the backup is taken (event consumers, the audit sealer).
    await server.close();
    closed = true;
    const target = join(folder, 'backup');
    const manifest = await backup(loadDatabaseConfig(env), target, env);
    expect(manifest.databases).toEqual({ default: base, log: `${base}_log`, bi: `${base}_bi` });
    expect(manifest.tables.audit_log).toBeGreaterThan(0);
    expect(manifest.tables.alert_rule).toBe(1);

    // A target without the same placement is refused before anything is written.
    await expect(
      restore(
        loadDatabaseConfig({ DATABASE_URL: mysqlUrl(restored) }),
        target,
        environment(restored, folder),
      ),
    ).rejects.toThrow(/set the same DATABASE_SCHEMA_\* variables/);

    const report = await restore(loadDatabaseConfig(environment(restored, folder)), target, {
      ...environment(restored, folder),
      MES_ENCRYPTION_KEY_FILE: join(folder, 'encryption.key'),
    });
    expect(report.countDifferences).toEqual({});
    expect(report.audit.problems).toEqual([]);
    expect(await tablesIn(`${restored}_log`)).toEqual(LOG_TABLES);
    expect(await tablesIn(`${restored}_bi`)).toEqual(BI_TABLES);
  }, 120_000);
});
