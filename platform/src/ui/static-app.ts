/**
 * Serves the built browser app (ui-runtime/dist) at `/`. Unknown non-API GETs fall back to
 * index.html so the client router owns deep links; `/api` stays with the API and its envelope.
 * Vite names the built assets after a hash of their content (`/assets/ListView-BbE8dZRQ.js`), so
 * they are cached for a year and never revalidated; every other file (index.html above all, which
 * names the current assets) is revalidated on each use. The build writes each text file brotli- and
 * gzip-compressed beside it (`ListView-BbE8dZRQ.js.br`), sent as is to a browser that accepts them.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { declarePublicRoutes } from '../security/http/route-access';

/** Repository root seen from both platform/src/ui (ts-jest) and dist/platform/src/ui (node). */
function findRepoRoot(): string {
  const fromSource = resolve(__dirname, '../../..');
  return existsSync(join(fromSource, 'ui-runtime')) ? fromSource : resolve(__dirname, '../../../..');
}

const REPO_ROOT = findRepoRoot();
/** A missing file (`/assets/x.js`) is a 404, not the app page, so the browser reports it plainly. */
const ASSET_PATH = /\/[^/]+\.[a-z0-9]+$/i;

export const UI_DIST = join(REPO_ROOT, 'ui-runtime', 'dist');

/** `<name>-<content hash>.<ext>`, as Vite writes build output into `assets/`. */
const HASHED_FILE = /^.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/i;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

function cacheControlFor(root: string, file: string): string {
  // The compressed copy of a file (`x-Bb8dZRQ.js.br`) is cached as the file itself.
  const name = basename(file).replace(/\.(br|gz)$/, '');
  return file.startsWith(join(root, 'assets') + sep) && HASHED_FILE.test(name) ? IMMUTABLE : REVALIDATE;
}

/**
 * Registers static serving when the app was built; an API-only deployment just skips it. The app's
 * files and its deep-link fallback are public routes (they carry no data; the app signs in through
 * the API).
 */
export async function registerStaticApp(fastify: FastifyInstance, root = UI_DIST): Promise<boolean> {
  if (!existsSync(join(root, 'index.html'))) return false;
  await fastify.register(async (scope) => {
    declarePublicRoutes(scope);
    await scope.register(fastifyStatic, {
      root,
      wildcard: false,
      index: ['index.html'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply, file) => void reply.header('cache-control', cacheControlFor(root, file)),
    });
    scope.get('/*', (request, reply) => {
      const path = request.url.split('?')[0];
      if (path === '/api' || path.startsWith('/api/') || ASSET_PATH.test(path)) {
        reply.callNotFound();
        return;
      }
      return reply.sendFile('index.html');
    });
  });
  return true;
}
