import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../crud/errors';
import { sendError } from '../crud/http/api-exception.filter';
import { successEnvelope } from '../crud/http/envelope';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import type { PluginHttpMethod, PluginRequest } from './plugin-api';
import type { PluginManager } from './plugin-manager';
import { PLUGIN_MANAGER } from './tokens';

/** Content types an uploaded plugin package may be sent with. */
export const PACKAGE_CONTENT_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'];

const METHODS: PluginHttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Mounts `/api/plugins/<name>/...` on Fastify: each request goes to the route the enabled plugin
 * registered (404 when the plugin is not enabled or has no such route), run isolated, answered in the
 * standard envelope. Also accepts `.tgz` bodies (plugin packages) up to the upload limit.
 */
@Injectable()
export class PluginRoutesRegistrar implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PLUGIN_MANAGER) private readonly plugins: PluginManager,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const packageTypes = PACKAGE_CONTENT_TYPES.filter((type) => !fastify.hasContentTypeParser(type));
    if (packageTypes.length > 0)
      fastify.addContentTypeParser(
        packageTypes,
        { parseAs: 'buffer', bodyLimit: this.plugins.uploadLimit },
        (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: Buffer) => void) =>
          done(null, body),
      );
    const handler = (request: FastifyRequest, reply: FastifyReply) => this.serve(request, reply);
    fastify.route({ method: METHODS, url: '/api/plugins/:plugin', handler });
    fastify.route({ method: METHODS, url: '/api/plugins/:plugin/*', handler });
  }

  private async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { plugin, '*': rest = '' } = request.params as { plugin: string; '*'?: string };
    const path = `/${rest}`;
    try {
      const route = this.plugins.runtime?.route(plugin, request.method, path) ?? null;
      if (!route)
        throw new ApiError(
          'NOT_FOUND',
          404,
          `no route ${request.method} ${path} of an enabled plugin ${plugin}`,
        );
      const ctx = requestContext(request, this.models);
      const pluginRequest: PluginRequest = {
        method: request.method as PluginHttpMethod,
        path,
        params: route.params,
        query: request.query as Record<string, unknown>,
        body: request.body,
        headers: request.headers,
        ctx,
        user: { id: ctx.principal.userId, roles: ctx.principal.roles },
      };
      const data = await route.run((handle) => handle(pluginRequest));
      await reply
        .status(route.status)
        .header('content-type', 'application/json; charset=utf-8')
        .send(successEnvelope(data ?? null, request.id));
    } catch (error) {
      sendError(error, request, reply);
      // Resolve only once the answer is written: an async handler resolving earlier (while async
      // onSend hooks still run) makes Fastify send again, failing with ERR_HTTP_HEADERS_SENT.
      await reply;
    }
  }
}
