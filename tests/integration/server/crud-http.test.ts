import type { InjectOptions } from 'light-my-request';
import { startTestServer, type TestServer } from './server-harness';

interface Envelope {
  code: string;
  message: string;
  data?: Record<string, unknown> & { items?: Record<string, unknown>[] };
  errors?: { field: string; path: string; rule: string; limit?: unknown; message: string }[];
  currentVersion?: number;
  timestamp: string;
  traceId: string;
}

let test: TestServer;

beforeAll(async () => {
  test = await startTestServer();
});
afterAll(async () => {
  await test?.stop();
});

async function call(
  options: InjectOptions,
): Promise<{ status: number; body: Envelope; headers: Record<string, unknown> }> {
  const response = await test.server.app.inject(options);
  return { status: response.statusCode, body: response.json<Envelope>(), headers: response.headers };
}

async function createLine(code: string): Promise<number> {
  const { status, body } = await call({
    method: 'POST',
    url: '/api/production-lines',
    payload: { lineCode: code, lineName: `Line ${code}` },
  });
  expect(status).toBe(201);
  return Number(body.data?.id);
}

describe('entity routes', () => {
  let lineId: number;

  beforeAll(async () => {
    lineId = await createLine('A01');
  });

  it('creates with a generated identifier and wraps it in the envelope with a traceId', async () => {
    const { status, body, headers } = await call({
      method: 'POST',
      url: '/api/work-orders',
      headers: { 'x-trace-id': 'trace-create-1' },
      payload: { lineId, plannedQuantity: 100, plannedStart: '2026-09-01T08:00:00.000Z' },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      code: 'OK',
      traceId: 'trace-create-1',
      data: { woNo: 'WO-A01-0001', status: 'DRAFT', version: 1 },
    });
    expect(headers['x-trace-id']).toBe('trace-create-1');
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('generates a traceId when none is sent and logs it with the request', async () => {
    const { body, headers } = await call({ method: 'GET', url: '/api/work-orders' });
    expect(body.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-trace-id']).toBe(body.traceId);
    expect(test.logs.some((line) => line.traceId === body.traceId)).toBe(true);
  });

  it('lists with nested qs filters, sort and paging metadata', async () => {
    for (let i = 0; i < 3; i++) {
      await call({
        method: 'POST',
        url: '/api/work-orders',
        payload: {
          lineId,
          plannedQuantity: 10 + i,
          plannedStart: `2026-09-0${2 + i}T08:00:00.000Z`,
          status: i === 0 ? 'RELEASED' : 'DRAFT',
        },
      });
    }
    const { status, body } = await call({
      method: 'GET',
      url: '/api/work-orders?filter[status][in]=RELEASED,DRAFT&filter[plannedQuantity][lt]=50&sort=-plannedStart&pageSize=2&page=1',
    });
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(body.data?.items?.map((i) => i.plannedStart)).toEqual([
      '2026-09-04T08:00:00.000Z',
      '2026-09-03T08:00:00.000Z',
    ]);
  });

  it('gets by id and by business key', async () => {
    const byId = await call({ method: 'GET', url: `/api/production-lines/${lineId}` });
    expect(byId.body.data).toMatchObject({ lineCode: 'A01' });
    const byCode = await call({ method: 'GET', url: '/api/work-orders/by-code/WO-A01-0001' });
    expect(byCode.status).toBe(200);
    expect(byCode.body.data).toMatchObject({ woNo: 'WO-A01-0001', lineId });
  });

  it('patches with optimistic locking: stale version → 409 with currentVersion', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/work-orders',
      payload: { lineId, plannedQuantity: 5, plannedStart: '2026-10-01T08:00:00.000Z' },
    });
    const id = Number(created.body.data?.id);
    const updated = await call({
      method: 'PATCH',
      url: `/api/work-orders/${id}`,
      payload: { version: 1, remarks: 'first' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ remarks: 'first', version: 2 });
    const stale = await call({
      method: 'PATCH',
      url: `/api/work-orders/${id}`,
      payload: { version: 1, remarks: 'second' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
  });

  it('soft-deletes and restores', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/work-orders',
      payload: { lineId, plannedQuantity: 7, plannedStart: '2026-10-02T08:00:00.000Z' },
    });
    const id = Number(created.body.data?.id);
    const removed = await call({ method: 'DELETE', url: `/api/work-orders/${id}` });
    expect(removed).toMatchObject({ status: 200, body: { code: 'OK', data: null } });
    expect((await call({ method: 'GET', url: `/api/work-orders/${id}` })).status).toBe(404);
    const restored = await call({ method: 'POST', url: `/api/work-orders/${id}/restore` });
    expect(restored.status).toBe(200);
    expect(restored.body.data).toMatchObject({ id, deletedAt: null });
  });

  it('writes bulk rows in one transaction and rejects a request with a bad row entirely', async () => {
    const before = await call({ method: 'GET', url: '/api/production-lines?count=exact' });
    const bad = await call({
      method: 'POST',
      url: '/api/production-lines/bulk',
      payload: {
        mode: 'create',
        rows: [
          { lineCode: 'B01', lineName: 'ok' },
          { lineCode: 'bad code', lineName: 'x' },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const after = await call({ method: 'GET', url: '/api/production-lines?count=exact' });
    expect(after.body.data?.total).toBe(before.body.data?.total);
    const good = await call({
      method: 'POST',
      url: '/api/production-lines/bulk',
      payload: { mode: 'create', rows: [{ lineCode: 'B01', lineName: 'ok' }] },
    });
    expect(good.status).toBe(200);
    expect(good.body.data).toMatchObject({ created: 1 });
  });
});

describe('error mapping', () => {
  it('404 for an unknown entity path, an unknown id and an unknown route', async () => {
    expect((await call({ method: 'GET', url: '/api/no-such-things' })).body).toMatchObject({
      code: 'NOT_FOUND',
    });
    const missing = await call({ method: 'GET', url: '/api/work-orders/999999' });
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const route = await call({ method: 'GET', url: '/api/work-orders/1/nowhere' });
    expect(route.status).toBe(404);
    expect(route.body.traceId).toBeTruthy();
  });

  it('400 for a non-numeric id', async () => {
    const { status, body } = await call({ method: 'GET', url: '/api/work-orders/abc' });
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ field: 'id', rule: 'type' });
  });

  it('422 with one entry per failing field: path, rule and limit', async () => {
    const { status, body } = await call({
      method: 'POST',
      url: '/api/work-orders',
      payload: { plannedQuantity: 0, plannedStart: 'not a date', remarks: 'x'.repeat(201) },
    });
    expect(status).toBe(422);
    expect(body.code).toBe('VALIDATION_FAILED');
    const rules = Object.fromEntries((body.errors ?? []).map((e) => [e.field, e]));
    expect(rules.lineId).toMatchObject({ rule: 'required' });
    expect(rules.plannedQuantity).toMatchObject({
      path: '/plannedQuantity',
      rule: 'exclusiveMinimum',
      limit: 0,
    });
    expect(rules.remarks).toMatchObject({ rule: 'maxLength', limit: 200 });
  });

  it('409 for a duplicate unique value', async () => {
    await createLine('DUP1');
    const { status, body } = await call({
      method: 'POST',
      url: '/api/production-lines',
      payload: { lineCode: 'DUP1', lineName: 'again' },
    });
    expect(status).toBe(409);
    expect(body.code).toBe('DUPLICATE_VALUE');
  });

  it('400 UNKNOWN_FIELD for unknown filter, sort and query parameter names', async () => {
    const filter = await call({ method: 'GET', url: '/api/work-orders?filter[nope][eq]=1' });
    expect(filter).toMatchObject({ status: 400, body: { code: 'UNKNOWN_FIELD' } });
    const sort = await call({ method: 'GET', url: '/api/work-orders?sort=-nope' });
    expect(sort).toMatchObject({ status: 400, body: { code: 'UNKNOWN_FIELD' } });
    const param = await call({ method: 'GET', url: '/api/work-orders?colour=red' });
    expect(param.status).toBe(400);
    const readParam = await call({ method: 'GET', url: '/api/work-orders/1?colour=red' });
    expect(readParam).toMatchObject({ status: 400, body: { code: 'UNKNOWN_FIELD' } });
  });

  it('400 for malformed JSON, 413 for an oversize body, 415 for a wrong content type — never 500', async () => {
    const malformed = await call({
      method: 'POST',
      url: '/api/work-orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"lineId": 1,',
    });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(malformed.body.traceId).toBeTruthy();
    const oversize = await call({
      method: 'POST',
      url: '/api/work-orders',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ remarks: 'x'.repeat(70_000) }),
    });
    expect(oversize).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    const wrongType = await call({
      method: 'POST',
      url: '/api/work-orders',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(wrongType).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const arrayBody = await call({ method: 'POST', url: '/api/work-orders', payload: [1, 2] });
    expect(arrayBody.status).toBe(400);
  });

  it('400 for a malformed tenant header', async () => {
    const { status, body } = await call({
      method: 'GET',
      url: '/api/work-orders',
      headers: { 'x-tenant-id': 'bad tenant!' },
    });
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ rule: 'pattern' });
  });

  it('isolates tenants chosen by X-Tenant-ID', async () => {
    const other = await call({
      method: 'GET',
      url: '/api/production-lines',
      headers: { 'x-tenant-id': 'OTHER' },
    });
    expect(other.body.data?.items).toEqual([]);
  });
});
