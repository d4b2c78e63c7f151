import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import qs from 'qs';
import { compileModel } from '../../../metadata/src/model';
import { validateMetadata } from '../../../metadata/src/validator';
import { runGenerate } from '../../../generators/src/codegen/run';
import { AppModule } from '../../../platform/src/app.module';
import { loadAppConfig } from '../../../platform/src/config/app-config';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ApiExceptionFilter } from '../../../platform/src/crud/http/api-exception.filter';
import { CrudDependenciesModule } from '../../../platform/src/crud/http/crud-dependencies.module';
import { ModelRegistry } from '../../../platform/src/kernel/model-registry';
import {
  copyFixtureProject,
  linkServerSources,
  REPO_ROOT,
  TEMPLATE_DIR,
} from '../../fixtures/generators/fixture-project';
import type { DataSource } from 'typeorm';
import { PlatformTables1764000000000 } from '../../../database/migrations/1764000000000-platform-tables';
import { createDataSource, loadDatabaseConfig } from '../../../platform/src/data/connection';
import { EngineDatabase } from '../../../platform/src/data/database';
import { AuthService } from '../../../platform/src/security/auth/auth.service';
import {
  registerSecurity,
  type SecurityHttpOptions,
} from '../../../platform/src/security/http/register-security';
import { dropMysqlDatabase, mysqlUrl } from '../migrations/helpers';
import { createSchema } from '../server/server-harness';

/**
 * The generated controllers of the fixture project, mounted alone in a Nest app over the real
 * EntityService on MariaDB, serve CRUD; and they answer exactly as the dynamic controller does.
 */
interface Envelope {
  code: string;
  message: string;
  data?: Record<string, unknown> & { items?: Record<string, unknown>[] };
  errors?: { field: string; rule: string }[];
}

interface PartRecord {
  id: number;
  version?: number;
  partName?: string;
}

/** The slice of the generated client (ui-runtime/src/generated/client.ts) this test calls. */
interface ClientExports {
  configureClient(options: { baseUrl: string }): void;
  parts: {
    create(body: object): Promise<PartRecord>;
    list(params: object): Promise<{ items: PartRecord[]; total: number | null }>;
    update(id: number, body: object): Promise<PartRecord>;
    getByKey(key: string): Promise<PartRecord>;
  };
}

type GeneratedModuleExports = {
  GeneratedModule: { register(crud: DynamicModule, origins?: readonly string[]): DynamicModule };
};

let project: { root: string; dispose: () => void };
const DATABASE = `mes_test_generators_${process.pid}`;
let dataSource: DataSource | undefined;
let generatedApp: NestFastifyApplication;
let dynamicApp: NestFastifyApplication;

async function createApp(
  module: DynamicModule,
  security: SecurityHttpOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    routerOptions: { querystringParser: (query: string) => qs.parse(query) },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger: false });
  await registerSecurity(app.getHttpAdapter().getInstance(), security);
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

beforeAll(async () => {
  project = copyFixtureProject(join(REPO_ROOT, 'tmp'));
  const report = await runGenerate({ root: project.root, check: false, templateDir: TEMPLATE_DIR });
  expect(report.errors).toEqual([]);
  linkServerSources(project.root);
  const model = compileModel(validateMetadata([project.root]).set, { version: 1 });
  dataSource = await createDataSource(loadDatabaseConfig({ DATABASE_URL: mysqlUrl(DATABASE) }), {
    createDatabase: true,
    migrations: [PlatformTables1764000000000],
  });
  await dataSource.runMigrations();
  await createSchema(dataSource, model);
  const database = new EngineDatabase(dataSource);
  const models = new ModelRegistry(model);
  // Both apps are called without a token as the development administrator (MES_AUTH=off).
  const security: SecurityHttpOptions = {
    auth: new AuthService(database, () => models.current(), {
      jwtSecret: 'jwt-secret-for-generator-tests-0123456789',
    }),
    developmentAccess: true,
    defaultTenant: 'DEMO',
    corsOrigins: [],
  };
  const deps = {
    config: loadAppConfig({ SEED_DEMO: 'false' }),
    operations: new EntityService(database),
    models,
    readinessChecks: [],
    security,
  };
  const crud = CrudDependenciesModule.register(deps);
  const generated = require(
    join(project.root, 'platform/src/generated/generated.module'),
  ) as GeneratedModuleExports;
  generatedApp = await createApp(generated.GeneratedModule.register(crud), security);
  dynamicApp = await createApp(AppModule.register({ ...deps, generatedOrigins: [] }), security);
});

afterAll(async () => {
  await generatedApp?.close();
  await dynamicApp?.close();
  await dataSource?.destroy();
  await dropMysqlDatabase(DATABASE);
  project?.dispose();
});

async function call(
  app: NestFastifyApplication,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: object,
) {
  const response = await app.inject({ method, url, payload: body });
  return { status: response.statusCode, body: response.json<Envelope>() };
}

/** An envelope without what differs per request (time, trace id). */
function stable(envelope: Envelope): Envelope {
  const { code, message, data, errors } = envelope;
  return { code, message, data, errors };
}

describe('generated controllers on MariaDB', () => {
  it('create, get, by-code, list, update, delete and restore through the generated routes', async () => {
    const created = await call(generatedApp, 'POST', '/api/parts', {
      partName: 'Bracket',
      unitPrice: 12.5,
      kind: 'MADE',
    });
    expect(created).toMatchObject({
      status: 201,
      body: { code: 'OK', data: { partName: 'Bracket', kind: 'MADE', version: 1 } },
    });
    const part = created.body.data as { id: number; partCode: string; version: number };
    expect(part.partCode).toMatch(/^P-[0-9]{4}$/);

    expect((await call(generatedApp, 'GET', `/api/parts/${part.id}`)).body.data).toMatchObject({
      id: part.id,
      partName: 'Bracket',
    });
    expect((await call(generatedApp, 'GET', `/api/parts/by-code/${part.partCode}`)).body.data).toMatchObject({
      id: part.id,
    });
    const list = await call(generatedApp, 'GET', '/api/parts?filter[kind][eq]=MADE&sort=-partName');
    expect(list.body.data).toMatchObject({ total: 1, items: [{ id: part.id }] });

    const updated = await call(generatedApp, 'PATCH', `/api/parts/${part.id}`, {
      version: 1,
      partName: 'Bracket B',
    });
    expect(updated).toMatchObject({ status: 200, body: { data: { partName: 'Bracket B', version: 2 } } });

    expect((await call(generatedApp, 'DELETE', `/api/parts/${part.id}`)).status).toBe(200);
    expect((await call(generatedApp, 'GET', `/api/parts/${part.id}`)).body.code).toBe('NOT_FOUND');
    expect((await call(generatedApp, 'POST', `/api/parts/${part.id}/restore`)).body.data).toMatchObject({
      id: part.id,
    });

    const job = await call(generatedApp, 'POST', '/api/jobs', {
      partId: part.id,
      quantity: 3,
      steps: [{ seq: 1, title: 'Cut' }],
    });
    expect(job).toMatchObject({
      status: 201,
      body: { data: { partId: part.id, quantity: 3, status: 'OPEN' } },
    });
    const bulk = await call(generatedApp, 'POST', '/api/parts/bulk', {
      mode: 'create',
      rows: [
        { partName: 'Nut', unitPrice: 0.1, kind: 'BOUGHT' },
        { partName: 'Bolt', unitPrice: 0.2, kind: 'BOUGHT' },
      ],
    });
    expect(bulk.body.data).toMatchObject({ created: 2, errors: [] });
  });

  it('answers every request exactly as the dynamic controller does', async () => {
    const requests: ['GET' | 'POST' | 'PATCH', string, object?][] = [
      ['GET', '/api/parts?sort=partCode&pageSize=2'],
      ['GET', '/api/parts?filter[kind][in]=MADE,BOUGHT&fields=partName,kind&sort=partName'],
      ['GET', '/api/parts?filter[colour][eq]=red'],
      ['GET', '/api/parts/1?expand=nothing'],
      ['GET', '/api/parts/999999'],
      ['GET', '/api/parts/abc'],
      ['GET', '/api/parts/by-code/P-9999'],
      ['GET', '/api/jobs/1?expand=part,steps'],
      ['POST', '/api/parts', { partName: 'x', unitPrice: 0, kind: 'OTHER', drawing: 'bad' }],
      ['PATCH', '/api/parts/1', { version: 99, partName: 'Stale' }],
      ['POST', '/api/parts/bulk', { mode: 'merge', rows: [] }],
    ];
    for (const [method, url, body] of requests) {
      const fromGenerated = await call(generatedApp, method, url, body);
      const fromDynamic = await call(dynamicApp, method, url, body);
      expect({ url, status: fromGenerated.status, body: stable(fromGenerated.body) }).toEqual({
        url,
        status: fromDynamic.status,
        body: stable(fromDynamic.body),
      });
    }
  });

  it('the generated client talks to the generated controllers: envelope unwrapped, ApiError thrown', async () => {
    await generatedApp.listen(0, '127.0.0.1');
    const client = require(join(project.root, 'ui-runtime/src/generated/client')) as ClientExports;
    client.configureClient({ baseUrl: await generatedApp.getUrl() });

    const washer = await client.parts.create({ partName: 'Washer', unitPrice: 0.05, kind: 'BOUGHT' });
    expect(washer).toMatchObject({ partName: 'Washer', version: 1 });
    const page = await client.parts.list({ filter: { partName: { eq: 'Washer' } }, sort: ['-id'] });
    expect(page).toMatchObject({ total: 1, items: [{ id: washer.id }] });
    await expect(client.parts.update(washer.id, { version: 7, partName: 'Late' })).rejects.toMatchObject({
      name: 'ApiError',
      code: 'CONFLICT',
      status: 409,
      currentVersion: 1,
    });
    await expect(client.parts.create({ partName: 'Bad', unitPrice: 0, kind: 'MADE' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 422,
      errors: [expect.objectContaining({ field: 'unitPrice', rule: 'exclusiveMinimum' })],
    });
    await expect(client.parts.getByKey('P-0000')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
