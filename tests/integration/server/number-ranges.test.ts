import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { dropMysqlDatabase, mysqlUrl } from '../migrations/helpers';
import { createSchema } from './server-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

/** Numbers a column cannot store are field errors on both drivers, never a 500 or a silent NULL. */
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'server', 'number-ranges');

interface FieldErrorBody {
  code: string;
  errors: { field: string; path: string; rule: string; limit: number }[];
  rows?: { row: number; errors: { field: string; rule: string }[] }[];
}

describe.each(TEST_DIALECTS)('number ranges on %s', (dialect) => {
  let server: RunningServer;
  const name = `mes_test_ranges_${process.pid}_${Date.now() % 100000}`;

  beforeAll(async () => {
    server = await startServer({
      env: {
        DATABASE_URL: dialect === 'mysql' ? mysqlUrl(name) : 'sqlite::memory:',
        SEED_DEMO: 'false',
        MES_AUTH: 'off',
        LOG_LEVEL: 'silent',
      },
      metadataRoots: [FIXTURE],
      listen: false,
      logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
      prepareSchema: createSchema,
    });
  });
  afterAll(async () => {
    await server?.close();
    if (dialect === 'mysql') await dropMysqlDatabase(name);
  });

  const send = (method: 'POST' | 'PATCH', url: string, raw: string) =>
    server.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: raw });

  it.each([
    ['reading', '1e309', 'maximum', 999.99],
    ['reading', '-1e309', 'minimum', -999.99],
    ['reading', '1000', 'maximum', 999.99],
    ['reading', '999.995', 'maximum', 999.99],
    ['reading', '-1000', 'minimum', -999.99],
    ['count', '1e309', 'maximum', 2_147_483_647],
    ['count', '2147483648', 'maximum', 2_147_483_647],
    ['count', '-2147483649', 'minimum', -2_147_483_648],
    ['previousId', '9223372036854775808', 'maximum', Number.MAX_SAFE_INTEGER],
    ['previousId', '1e309', 'maximum', Number.MAX_SAFE_INTEGER],
  ])(
    'refuses %s = %s with 422 naming the field, the rule %s and the limit',
    async (field, raw, rule, limit) => {
      const response = await send('POST', '/api/gauge-readings', `{"code":"A","${field}":${raw}}`);
      expect(response.statusCode).toBe(422);
      expect(response.json<FieldErrorBody>()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field, path: `/${field}`, rule, limit }],
      });
    },
  );

  it('bounds the numbers of child rows too', async () => {
    const response = await send(
      'POST',
      '/api/gauge-readings',
      '{"code":"C","points":[{"label":"ok","value":999.9},{"label":"big","value":1000}]}',
    );
    expect(response.statusCode).toBe(422);
    expect(response.json<FieldErrorBody>().errors).toEqual([
      expect.objectContaining({
        field: 'points.1.value',
        path: '/points/1/value',
        rule: 'maximum',
        limit: 999.9,
      }),
    ]);
  });

  it('stores the extremes each column can hold', async () => {
    const response = await send(
      'POST',
      '/api/gauge-readings',
      '{"code":"EDGE","reading":-999.99,"count":-2147483648}',
    );
    expect(response.statusCode).toBe(201);
    const created = response.json<{ data: { id: number; version: number } }>().data;
    const patched = await send(
      'PATCH',
      `/api/gauge-readings/${created.id}`,
      `{"version":${created.version},"reading":999.99,"count":2147483647}`,
    );
    expect(patched.statusCode).toBe(200);
    expect(patched.json<{ data: unknown }>().data).toMatchObject({ reading: 999.99, count: 2_147_483_647 });
  });

  it('refuses an out-of-range patch', async () => {
    const created = await send('POST', '/api/gauge-readings', '{"code":"P"}');
    const { id, version } = created.json<{ data: { id: number; version: number } }>().data;
    const response = await send('PATCH', `/api/gauge-readings/${id}`, `{"version":${version},"count":1e309}`);
    expect(response.statusCode).toBe(422);
    expect(response.json<FieldErrorBody>().errors).toEqual([
      expect.objectContaining({ field: 'count', path: '/count', rule: 'maximum' }),
    ]);
  });

  it('names the row of an out-of-range number in a bulk write and in an import dry run', async () => {
    const bulk = await send(
      'POST',
      '/api/gauge-readings/bulk',
      '{"mode":"create","rows":[{"code":"B1","count":1},{"code":"B2","count":1e309}]}',
    );
    expect(bulk.statusCode).toBe(422);
    expect(bulk.json<FieldErrorBody>().rows).toEqual([
      expect.objectContaining({
        row: 1,
        errors: [expect.objectContaining({ field: 'count', rule: 'maximum' })],
      }),
    ]);
    const imported = await server.app.inject({
      method: 'POST',
      url: '/api/gauge-readings/import?dryRun=true',
      headers: { 'content-type': 'text/csv' },
      payload: 'code,reading\r\nI1,1.5\r\nI2,123456\r\n',
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json<{ data: { errors: unknown[] } }>().data.errors).toEqual([
      expect.objectContaining({
        row: 3,
        errors: [expect.objectContaining({ field: 'reading', rule: 'maximum' })],
      }),
    ]);
  });
});
