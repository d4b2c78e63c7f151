/**
 * OpenAPI 3.1 document of the live Model: every route of the server — each addressable entity's
 * routes under /api/<path> with its payload schemas (extension fields included, from the same
 * api-schema the validators use), sign-in, administration, BI, traceability, operations and the
 * routes of enabled plugins — with the envelope, the error envelope and the bearer scheme. Rebuilt
 * per Model, so a hot swap shows up without a restart.
 */
import type { Model } from '../../../metadata/src/model';
import { entityApiSchema, type JsonSchema } from '../../../metadata/src/model/api-schema';
import { actionResultSchema, entityPaths, entityRouteSchemas, schemaName } from './entity-paths';
import {
  BEARER,
  errorResponses,
  errors,
  sharedParameters,
  sharedSchemas,
  type PathItem,
} from './openapi-components';
import { platformPaths, platformSchemas, pluginPaths, type PluginRouteDescription } from './platform-paths';

export { schemaName } from './entity-paths';

const PLATFORM_TAGS: Record<string, string> = {
  auth: 'Sign-in, tokens and passwords',
  meta: 'Metadata and forms of the live Model',
  plugins: 'Plugin lifecycle (administrators)',
  'extension-fields': 'Extension fields per tenant (administrators)',
  webhooks: 'Webhook subscriptions (webhook:manage)',
  bi: 'Dashboards and KPIs',
  trace: 'Genealogy trace',
  inventory: 'Inventory analysis',
  ops: 'Health, metrics and API docs',
};

export function buildOpenApiDocument(
  model: Model,
  pluginRoutes: readonly PluginRouteDescription[] = [],
): JsonSchema {
  const entities = [...model.entities.values()]
    .filter((e) => !e.owned)
    .sort((a, b) => a.name.localeCompare(b.name));
  const schemas: Record<string, JsonSchema> = {
    ...sharedSchemas(),
    ...entityRouteSchemas(),
    ...platformSchemas(),
  };
  const paths: Record<string, PathItem> = { ...platformPaths(), ...pluginPaths(pluginRoutes) };
  for (const entity of entities) {
    const name = schemaName(entity.name);
    schemas[name] = entityApiSchema(model, entity.name, 'response');
    schemas[`${name}Create`] = entityApiSchema(model, entity.name, 'create');
    if (!entity.appendOnly) schemas[`${name}Patch`] = entityApiSchema(model, entity.name, 'patch');
    if (entity.workflow && model.workflows.has(entity.workflow))
      schemas[`${name}ActionResult`] = actionResultSchema(name);
    Object.assign(paths, entityPaths(model, entity));
  }
  addCommonErrors(paths);
  const plugins = [...new Set(pluginRoutes.map((r) => r.plugin))].sort();
  return {
    openapi: '3.1.0',
    info: {
      title: 'BTC MES API',
      version: `model-${model.version}-${model.hash}`,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Generated from the live metadata Model. Every JSON response is an envelope {code, message, data, timestamp, traceId}; ' +
        "code is 'OK' on success and a stable error code otherwise (the Error schema). " +
        'Sign in with POST /api/auth/login and send the access token as `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/', description: 'This server' }],
    security: [{ [BEARER]: [] }],
    tags: [
      ...Object.entries(PLATFORM_TAGS).map(([name, description]) => ({ name, description })),
      ...plugins.map((p) => ({ name: `plugin:${p}`, description: `Routes of the ${p} plugin` })),
      ...entities.map((e) => ({ name: e.name, description: e.label.en })),
    ],
    paths,
    components: {
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from POST /api/auth/login or /api/auth/refresh',
        },
      },
      schemas,
      parameters: sharedParameters(),
      responses: referencedErrorResponses(paths),
    },
  };
}

/**
 * The shared error responses the operations point at: a status only plugin routes give (504) is
 * left out of a document without them.
 */
function referencedErrorResponses(paths: Record<string, PathItem>): Record<string, JsonSchema> {
  const text = JSON.stringify(paths);
  return Object.fromEntries(
    Object.entries(errorResponses()).filter(([name]) => text.includes(`"#/components/responses/${name}"`)),
  );
}

/**
 * Answers every private route can give whatever it does: 401 without a valid token and 429 when the
 * caller's API budget is spent.
 */
function addCommonErrors(paths: Record<string, PathItem>): void {
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      if (isPublic) continue;
      const responses = operation.responses as Record<string, unknown>;
      Object.assign(responses, { ...errors(401, 429), ...responses });
    }
  }
}
