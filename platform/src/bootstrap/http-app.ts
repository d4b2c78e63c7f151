/**
 * Builds the Nest application on Fastify around already-created dependencies: trace ids, pino
 * request logs, qs-style querystrings, body limits, timeouts and a connection cap against slow
 * clients, response compression, JSON bodies (empty = `{}`), CSV/XLSX import bodies and the API docs.
 * Errors Fastify sees (body parsing, routes outside Nest) and Nest's not-found handler both answer
 * with the same envelope as the global ApiExceptionFilter. Used by `startServer` and the tests.
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import multipart from '@fastify/multipart';
import qs from 'qs';
import { registerMetrics } from '../ops/metrics';
import { AppModule, type AppDependencies } from '../app.module';
import type { HttpLimits, TrustProxy } from '../config/app-config';
import { ApiExceptionFilter, sendError } from '../crud/http/api-exception.filter';
import { CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE } from '../crud/http/table-reader';
import { registerLiveRoute } from '../events/http/live-route';
import { registerApiDocs } from '../openapi/api-docs';
import { PinoNestLogger } from '../ops/logger';
import { registerSecurity } from '../security/http/register-security';
import { TRACE_HEADER, traceIdFor } from '../ops/trace-id';
import { registerCompression } from './compression';
import { useJsonBody } from './json-body';
import { registerReadScopes } from './read-your-writes';

/** Nest contexts that log one line per mapped controller and route at startup. */
const ROUTE_TABLE_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer']);

/**
 * The route table is debug detail: with a generated controller per core entity it is several
 * hundred lines, which would bury the startup steps at the default level.
 */
class ServerNestLogger extends PinoNestLogger {
  override log(message: unknown, context?: string): void {
    if (context !== undefined && ROUTE_TABLE_CONTEXTS.has(context)) this.debug(message, context);
    else super.log(message, context);
  }
}

/**
 * Keeps the envelope's Fastify error handler, set before any route exists, for every route. Nest would
 * install its own at init (the same mapping, through ApiExceptionFilter), replacing it for routes
 * registered later, with a Fastify warning (FSTWRN004) on every start.
 */
class EnvelopeFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(): ReturnType<FastifyAdapter['setErrorHandler']> {
    return this.getInstance();
  }
}

/** Nested brackets deep enough for `filter[item.code][in]`, bounded so a querystring cannot explode. */
const QUERY_LIMITS = { depth: 5, arrayLimit: 100, parameterLimit: 200 };

/**
 * Node checks request and headers timeouts on a timer (30 s by default), so a short timeout would
 * fire up to 30 s late; check a few times per shortest timeout instead.
 */
function timeoutCheckInterval(limits: HttpLimits): number {
  const shortest = Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs);
  return Math.max(50, Math.min(30_000, Math.floor(shortest / 4)));
}

/** A hop count trusts that many proxies nearest to the server (proxy-addr counts hops from 0). */
function proxyTrust(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

export async function createHttpApp(deps: AppDependencies, logger: Logger): Promise<NestFastifyApplication> {
  const limits = deps.config.http;
  const adapter = new EnvelopeFastifyAdapter({
    loggerInstance: logger,
    bodyLimit: deps.config.bodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: timeoutCheckInterval(limits),
    },
    trustProxy: proxyTrust(deps.config.trustProxy),
    genReqId: traceIdFor,
    logController: new LogController({ requestIdLogLabel: 'traceId' }),
    routerOptions: { querystringParser: (query: string) => qs.parse(query, QUERY_LIMITS) },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(deps), adapter, {
    logger: new ServerNestLogger(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.server.maxConnections = limits.maxConnections;
  // Errors Fastify raises before a Nest handler runs (body parsing, content types) get the envelope.
  // Set before any plugin registers routes so every route context inherits it.
  fastify.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) =>
    sendError(error, request, reply),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_HEADER, request.id);
    done();
  });
  await registerCompression(fastify);
  // Attachments arrive as multipart/form-data; each route sets its own file size limit.
  await fastify.register(multipart, { limits: { files: 1, fields: 10, parts: 12 } });
  useJsonBody(app, deps.config.bodyLimit);
  fastify.addContentTypeParser(
    [CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE],
    { parseAs: 'buffer', bodyLimit: deps.config.importLimit },
    (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: Buffer) => void) =>
      done(null, body),
  );
  await registerSecurity(fastify, deps.security);
  if (deps.recentWriters) registerReadScopes(fastify, deps.recentWriters);
  if (deps.metrics) registerMetrics(fastify, deps.metrics);
  if (deps.live) registerLiveRoute(fastify, deps.live);
  registerApiDocs(fastify, deps.models, () => deps.plugins?.runtime?.routeTable() ?? []);
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  return app;
}
