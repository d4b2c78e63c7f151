import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerCompression } from '../../../platform/src/bootstrap/compression';
import { IMMUTABLE, registerStaticApp, REVALIDATE } from '../../../platform/src/ui/static-app';
import { startTestServer, type TestServer } from './server-harness';

/** How responses leave the server: empty JSON bodies, compression and caching of the app's files. */
describe('API responses', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(async () => {
    await test?.stop();
  });

  it('treats an empty JSON body as an empty object', async () => {
    const response = await test.server.app.inject({
      method: 'POST',
      url: '/api/production-lines',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: expect.arrayContaining([expect.objectContaining({ field: 'lineCode', rule: 'required' })]),
    });
  });

  it('still refuses malformed JSON and prototype poisoning with 400', async () => {
    for (const payload of ['{"lineCode":', '{"__proto__":{"admin":true}}']) {
      const response = await test.server.app.inject({
        method: 'POST',
        url: '/api/production-lines',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'BAD_REQUEST' });
    }
  });

  it('compresses API responses with brotli or gzip as the client accepts', async () => {
    const plain = await test.server.app.inject({ method: 'GET', url: '/api-docs/json' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await test.server.app.inject({
      method: 'GET',
      url: '/api-docs/json',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString('utf8'))).toEqual(plain.json());
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    const gzip = await test.server.app.inject({
      method: 'GET',
      url: '/api-docs/json',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString('utf8'))).toEqual(plain.json());
  });
});

describe('browser app files', () => {
  const root = mkdtempSync(join(tmpdir(), 'mes-ui-'));
  const script = `export const app = ${JSON.stringify('x'.repeat(4000))};\n`;
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><script src="/assets/index-BfX3k1Qz.js"></script>',
    );
    writeFileSync(join(root, 'assets', 'index-BfX3k1Qz.js'), script);
    // As the build writes it: the brotli copy beside the file, at the highest quality.
    writeFileSync(join(root, 'assets', 'list-C2xYhd0q.js'), script);
    writeFileSync(
      join(root, 'assets', 'list-C2xYhd0q.js.br'),
      brotliCompressSync(script, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
    writeFileSync(join(root, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, 'favicon.ico'), 'icon');
    app = Fastify();
    await registerCompression(app);
    expect(await registerStaticApp(app, root)).toBe(true);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('caches content-hashed assets for a year and revalidates everything else', async () => {
    const asset = await app.inject({ url: '/assets/index-BfX3k1Qz.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe(IMMUTABLE);
    expect(IMMUTABLE).toBe('public, max-age=31536000, immutable');
    for (const url of ['/', '/index.html', '/work-orders/7', '/assets/logo.svg', '/favicon.ico']) {
      const response = await app.inject({ url });
      expect([url, response.statusCode, response.headers['cache-control']]).toEqual([url, 200, REVALIDATE]);
    }
  });

  it('serves assets compressed', async () => {
    const response = await app.inject({
      url: '/assets/index-BfX3k1Qz.js',
      headers: { 'accept-encoding': 'br' },
    });
    expect(response.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(response.rawPayload).toString('utf8')).toBe(script);
  });

  it('sends the precompressed copy of a file as it is, cached like the file', async () => {
    const precompressed = readFileSync(join(root, 'assets', 'list-C2xYhd0q.js.br'));
    const response = await app.inject({
      url: '/assets/list-C2xYhd0q.js',
      headers: { 'accept-encoding': 'br' },
    });
    expect(response.headers['content-encoding']).toBe('br');
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe(IMMUTABLE);
    expect(response.rawPayload.equals(precompressed)).toBe(true);
    const plain = await app.inject({
      url: '/assets/list-C2xYhd0q.js',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.payload).toBe(script);
  });
});
