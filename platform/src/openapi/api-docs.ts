/**
 * `/api-docs` (Swagger UI from swagger-ui-dist) and `/api-docs/json` (the OpenAPI document of the
 * current Model and the routes of the enabled plugins, built once per Model and plugin route set).
 * Registered on Fastify directly: the document is not an API response, so it carries no envelope.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Model } from '../../../metadata/src/model';
import type { JsonSchema } from '../../../metadata/src/model/api-schema';
import type { ModelRegistry } from '../kernel/model-registry';
import { buildOpenApiDocument } from './openapi-document';
import type { PluginRouteDescription } from './platform-paths';
import { PUBLIC_ROUTE } from '../security/http/route-access';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>BTC MES API</title><link rel="stylesheet" href="/api-docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api-docs/assets/swagger-ui-bundle.js"></script>
<script src="/api-docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/api-docs/assets/init.js"></script>
</body></html>`;

const INIT_JS = `window.ui = SwaggerUIBundle({ url: '/api-docs/json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });`;

export function registerApiDocs(
  fastify: FastifyInstance,
  models: ModelRegistry,
  pluginRoutes: () => readonly PluginRouteDescription[] = () => [],
): void {
  const assetDir = swaggerAssetDir();
  const documents = new WeakMap<Model, { routes: string; document: JsonSchema }>();
  const documentFor = (model: Model) => {
    const routes = pluginRoutes();
    const key = JSON.stringify(routes);
    let built = documents.get(model);
    if (built?.routes !== key) {
      built = { routes: key, document: buildOpenApiDocument(model, routes) };
      documents.set(model, built);
    }
    return built.document;
  };

  fastify.get('/api-docs/json', { config: PUBLIC_ROUTE }, async () => documentFor(models.current()));
  fastify.get('/api-docs', { config: PUBLIC_ROUTE }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(INDEX_HTML),
  );
  fastify.get('/api-docs/assets/init.js', { config: PUBLIC_ROUTE }, async (_request, reply) =>
    reply.type(ASSETS['swagger-ui-bundle.js']).send(INIT_JS),
  );
  for (const [file, type] of Object.entries(ASSETS)) {
    // Read on the first request: most servers never serve the API docs.
    let content: Buffer | undefined;
    fastify.get(`/api-docs/assets/${file}`, { config: PUBLIC_ROUTE }, async (_request, reply) => {
      content ??= readFileSync(join(assetDir, file));
      return reply.type(type).header('cache-control', 'public, max-age=86400').send(content);
    });
  }
}

/**
 * Where swagger-ui-dist keeps its files. Its main module would also load and run the 1.5 MB browser
 * bundle in the server (about 40 MB of resident memory), so only the path helper is required.
 */
function swaggerAssetDir(): string {
  return (require('swagger-ui-dist/absolute-path.js') as () => string)();
}
