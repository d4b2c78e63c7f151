import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../crud/errors';
import { mapError } from '../../crud/http/error-mapping';
import { successEnvelope } from '../../crud/http/envelope';
import { AuthenticationError, TooManyAttemptsError } from '../auth/auth-errors';
import type { AuthService, ClientMeta } from '../auth/auth.service';
import type { Principal } from '../principal';
import { RateLimiter } from './rate-limiter';
import { isPublicRoute, PUBLIC_ROUTE, recordRoutes, routedPath } from './route-access';
import { developmentPrincipal } from '../development-principal';
import { tenantHeader } from './tenant-header';
import type { EntityOperations } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { changedFields, type AuditDiff } from '../../audit/audit-diff';
import { auditHistory } from '../../audit/audit-history';
import { holds } from '../authorization/access';
import { redactRecord } from '../authorization/redact';
import type { SecureContext } from '../principal';
import type { Model } from '../../../../metadata/src/model';
import { appendAudit } from '../../audit/audit-writer';
import { SecureEntityOperations } from '../secure-operations';
import {
  authorizeTrace,
  isTraceNode,
  redactTraceReport,
  scopedTraceKinds,
} from '../authorization/trace-access';

export interface SecurityHttpOptions {
  auth: AuthService;
  /**
   * `MES_AUTH=off` (development and tests only, refused in production): a request without a bearer
   * token acts as the development administrator in the tenant named by `X-Tenant-ID`. Every request
   * still carries a principal; nothing is ever decided for a request without one.
   */
  developmentAccess?: boolean;
  /** Tenant of a login that names none. */
  defaultTenant: string;
  /** Origins allowed to call the API from a browser; empty = same origin only. */
  corsOrigins: string[];
  /** Login attempts per client IP per minute. Default 10. */
  loginPerMinute?: number;
  /** API requests per client IP per minute. Default 1200. */
  apiPerMinute?: number;
  /** For `/api/<path>/export|import` permissions and `GET /api/<path>/:id/audit`. */
  records?: RecordAccess;
}

export interface RecordAccess {
  models: ModelRegistry;
  /** The secured operations: the record read decides who may see its history. */
  operations: EntityOperations;
  database: EngineDatabase;
}

/** The principal the bearer token of this request proved, set by the authentication hook. */
export function principalOfRequest(request: FastifyRequest): Principal | undefined {
  return (request as FastifyRequest & { principal?: Principal }).principal;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'",
};

/**
 * Hardening and authentication on the Fastify instance the server builds: security headers on every
 * response, a CORS allowlist, rate limits on login and on the API, and the /api/auth routes.
 * Authentication is deny by default and decided on the route the router matched: every route needs a
 * bearer token unless its route config declares it public (login, refresh, health, the browser app,
 * the API docs), however its URL is spelled. Register before any route so the route table is complete.
 */
export function registerSecurity(fastify: FastifyInstance, options: SecurityHttpOptions): void {
  const loginLimiter = new RateLimiter(options.loginPerMinute ?? 10, 60_000);
  const apiLimiter = new RateLimiter(options.apiPerMinute ?? 1200, 60_000);
  const origins = new Set(options.corsOrigins);
  recordRoutes(fastify);

  fastify.addHook('onRequest', async (request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    const origin = request.headers.origin;
    if (origin && origins.has(origin)) {
      reply
        .header('access-control-allow-origin', origin)
        .header('vary', 'Origin')
        .header('access-control-allow-credentials', 'true');
      if (request.method === 'OPTIONS') {
        reply
          .header('access-control-allow-methods', 'GET,POST,PUT,PATCH,DELETE')
          .header('access-control-allow-headers', 'authorization,content-type,x-trace-id')
          .header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    } else if (origin && request.method === 'OPTIONS')
      return fail(request, reply, 403, 'FORBIDDEN', `Origin ${origin} is not allowed`);
    if (isPublicRoute(request)) {
      if (request.routeOptions.url === LOGIN_ROUTE) return throttle(request, reply, loginLimiter);
      return;
    }
    const limited = throttle(request, reply, apiLimiter);
    if (limited) return limited;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    let principal: Principal;
    try {
      if (token) principal = options.auth.authenticate(token);
      else if (options.developmentAccess)
        principal = developmentPrincipal(tenantHeader(request, options.defaultTenant));
      else
        return fail(
          request,
          reply,
          401,
          'UNAUTHORIZED',
          'Authentication required: send Authorization: Bearer <access token>',
        );
    } catch (error) {
      return sendError(request, reply, error);
    }
    (request as FastifyRequest & { principal?: Principal }).principal = principal;
    const transfer = /^\/api\/([a-z0-9-]+)\/(export|import)$/.exec(routedPath(request) ?? '');
    const entity = transfer && options.records?.models.current().entitiesByPath.get(transfer[1]);
    if (
      transfer &&
      entity &&
      !holds(principal, options.records!.models.current(), `${entity.name}:${transfer[2]}`)
    )
      return fail(request, reply, 403, 'FORBIDDEN', `Permission '${entity.name}:${transfer[2]}' required`);
  });

  const records = options.records;
  if (records) registerRecordGuards(fastify, records);
  if (records)
    fastify.get<{ Params: { path: string; id: string } }>('/api/:path/:id/audit', async (request, reply) => {
      const principal = principalOfRequest(request);
      if (!principal) return fail(request, reply, 401, 'UNAUTHORIZED', 'Authentication required');
      const model = records.models.current();
      const entity = model.entitiesByPath.get(request.params.path);
      const id = Number(request.params.id);
      if (!entity || !Number.isSafeInteger(id) || id <= 0)
        return fail(request, reply, 404, 'NOT_FOUND', 'No such record');
      const ctx: SecureContext = {
        tenantId: principal.tenantId,
        userId: principal.userId,
        traceId: request.id,
        model,
        principal,
      };
      try {
        await records.operations.get(entity.name, id, ctx, { fields: ['id'] });
        const history = await auditHistory(
          records.database.executor(),
          principal.tenantId,
          entity.name,
          String(id),
        );
        return successEnvelope(
          history.map((entry) => {
            const diff = redactDiff(entry.diff, (values) =>
              redactRecord(principal, model, entity.name, values),
            );
            return { ...entry, diff, changedFields: visibleChangedFields(entry.changedFields, diff) };
          }),
          request.id,
        );
      } catch (error) {
        return sendError(request, reply, error);
      }
    });

  fastify.post(LOGIN_ROUTE, { config: PUBLIC_ROUTE }, async (request, reply) => {
    const body = objectBody(request);
    const username = stringField(body, 'username');
    const password = stringField(body, 'password');
    if (!username || !password)
      return fail(request, reply, 400, 'VALIDATION_FAILED', 'username and password are required');
    const tenant = stringField(body, 'tenant') ?? options.defaultTenant;
    try {
      return successEnvelope(
        await options.auth.login(tenant, username, password, clientMeta(request)),
        request.id,
      );
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  fastify.post('/api/auth/refresh', { config: PUBLIC_ROUTE }, async (request, reply) => {
    const refreshToken = stringField(objectBody(request), 'refreshToken');
    if (!refreshToken) return fail(request, reply, 400, 'VALIDATION_FAILED', 'refreshToken is required');
    try {
      return successEnvelope(await options.auth.refresh(refreshToken, clientMeta(request)), request.id);
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  fastify.post('/api/auth/logout', async (request, reply) => {
    const refreshToken = stringField(objectBody(request), 'refreshToken');
    if (!refreshToken) return fail(request, reply, 400, 'VALIDATION_FAILED', 'refreshToken is required');
    await options.auth.logout(refreshToken, principalOfRequest(request) ?? null, clientMeta(request));
    return successEnvelope(null, request.id);
  });

  fastify.get('/api/auth/me', async (request, reply) => {
    const principal = principalOfRequest(request);
    if (!principal) return fail(request, reply, 401, 'UNAUTHORIZED', 'Authentication required');
    return successEnvelope(options.auth.me(principal), request.id);
  });
}

const WORKFLOW_ROUTE = /^\/api\/([a-z0-9-]+)\/(\d+)\/(actions|history)(?:\/([A-Za-z0-9_]+))?$/;
const TRACE_ROUTE = /^\/api\/trace\/(reverse|forward)$/;
const METADATA_ROUTE = /^\/api\/admin\/(extensions|plugins)(\/|$)/;

/**
 * Guards of routes outside the CRUD pipeline. Workflow routes (`/:id/actions[/:action]`,
 * `/:id/history`): the record must be readable, and firing an action governed by
 * `<entity>:<action>` needs that permission and the row inside its scope (an approver's decision
 * is judged by the workflow's approver rules). Trace routes need read on serials and lots (and on
 * the start kind), and nodes of kinds the caller may not read are dropped from the report. Every
 * successful metadata change through the admin routes appends a METADATA_CHANGE audit record.
 */
function registerRecordGuards(fastify: FastifyInstance, records: RecordAccess): void {
  fastify.addHook('preHandler', async (request, reply) => {
    const principal = principalOfRequest(request);
    const path = routedPath(request);
    if (!principal || path === undefined) return;
    const model = records.models.current();
    try {
      if (TRACE_ROUTE.test(path)) {
        authorizeTrace(principal, model, (request.query ?? {}) as Record<string, unknown>);
        return;
      }
      const route = WORKFLOW_ROUTE.exec(path);
      const entity = route ? model.entitiesByPath.get(route[1]) : undefined;
      if (!route || !entity || !(records.operations instanceof SecureEntityOperations)) return;
      const ctx = secureContext(request, principal, model);
      const fired = request.method === 'POST' && route[3] === 'actions' && route[4] ? route[4] : null;
      const decision = fired !== null && 'decision' in objectBody(request);
      const permission = fired === null || decision ? null : transitionPermission(model, entity.name, fired);
      // Permission first: a caller who may not fire the action learns nothing of the row (not even
      // whether it exists or which state it is in).
      if (permission !== null && !holds(principal, model, permission))
        throw new ForbiddenError(`Permission '${permission}' required`, { permission });
      await records.operations.authorizeRowRequest(
        entity.name,
        Number(route[2]),
        ctx,
        permission?.startsWith(`${entity.name}:`) ? permission.slice(entity.name.length + 1) : null,
      );
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  fastify.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const principal = principalOfRequest(request);
    if (!principal || !TRACE_ROUTE.test(routedPath(request) ?? '')) return payload;
    const envelope = payload as { data?: unknown } | null;
    if (!envelope || typeof envelope.data !== 'object' || envelope.data === null) return payload;
    const model = records.models.current();
    const report = envelope.data as Record<string, unknown>;
    const outOfScope = await traceNodesOutOfScope(
      records.operations,
      secureContext(request, principal, model),
      report,
    );
    return { ...envelope, data: redactTraceReport(principal, model, report, outOfScope) };
  });

  // onSend, not onResponse: the record is written before the client hears that the change is done.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const principal = principalOfRequest(request);
    const path = routedPath(request);
    if (
      !principal ||
      path === undefined ||
      request.method === 'GET' ||
      reply.statusCode >= 300 ||
      !METADATA_ROUTE.test(path)
    )
      return payload;
    try {
      await records.database.transaction((tx) =>
        appendAudit(tx, {
          tenantId: principal.tenantId,
          actorId: principal.userId,
          actorName: principal.username,
          entity: 'metadata',
          recordId: path.slice(0, 64),
          action: 'METADATA_CHANGE',
          detail: { method: request.method, path, status: reply.statusCode },
          ...clientMeta(request),
        }),
      );
    } catch (error) {
      request.log.error({ err: error }, 'METADATA_CHANGE audit record could not be appended');
    }
    return payload;
  });
}

const KEYS_PER_QUERY = 500;

/**
 * Ids of the trace nodes whose records lie outside the caller's row scope: for each kind read under a
 * restricted scope, the node keys are looked up through the secured list (which adds the scope);
 * keys it does not return, and nodes of such kinds that carry no record key, are out of scope.
 */
async function traceNodesOutOfScope(
  operations: EntityOperations,
  ctx: SecureContext,
  report: Record<string, unknown>,
): Promise<Set<string>> {
  const outOfScope = new Set<string>();
  const graph = report.graph as { nodes?: unknown } | undefined;
  const nodes = Array.isArray(graph?.nodes) ? graph.nodes.filter(isTraceNode) : [];
  for (const [kind, scoped] of scopedTraceKinds(ctx.principal, ctx.model)) {
    const ofKind = nodes.filter((node) => node.kind === kind);
    if (ofKind.length === 0) continue;
    const keyField = scoped.keyField;
    if (keyField === null) {
      for (const node of ofKind) outOfScope.add(node.id);
      continue;
    }
    const inScope = new Set<string>();
    for (let start = 0; start < ofKind.length; start += KEYS_PER_QUERY) {
      const keys = ofKind.slice(start, start + KEYS_PER_QUERY).map((node) => node.key);
      const query = operations.parseListQuery(
        scoped.entity,
        { fields: keyField, pageSize: String(KEYS_PER_QUERY), count: 'none' },
        ctx.model,
      );
      const page = await operations.list(
        scoped.entity,
        { ...query, filter: { kind: 'and', conditions: [{ field: keyField, op: 'in', value: keys }] } },
        ctx,
      );
      for (const row of page.items) inScope.add(String(row[keyField]));
    }
    for (const node of ofKind) if (!inScope.has(node.key)) outOfScope.add(node.id);
  }
  return outOfScope;
}

/**
 * The permission that governs firing `action` on the entity: the transition's own permission, or
 * `<entity>:<action>` by default, looked up in every workflow bound to the entity. Null for an action
 * no workflow declares (the workflow engine answers that one).
 */
function transitionPermission(model: Model, entity: string, action: string): string | null {
  for (const workflow of model.workflows.values()) {
    if (workflow.entity !== entity) continue;
    const transition = workflow.transitions.find((t) => t.action === action);
    if (transition) return transition.permission ?? `${entity}:${action}`;
  }
  return null;
}

function secureContext(request: FastifyRequest, principal: Principal, model: Model): SecureContext {
  return { tenantId: principal.tenantId, userId: principal.userId, traceId: request.id, model, principal };
}

type Redact = (values: Record<string, unknown>) => Record<string, unknown>;

/** A diff shows only what the reader may read of the record: forbidden fields go, sensitive values are masked. */
function redactDiff(diff: unknown, redact: Redact): unknown {
  if (diff === null || typeof diff !== 'object') return diff;
  const result: Record<string, unknown> = {};
  for (const [part, values] of Object.entries(diff as Record<string, unknown>)) {
    if (part === 'children' || values === null || typeof values !== 'object') {
      result[part] = values;
      continue;
    }
    const entries = Object.entries(values as Record<string, unknown>);
    const visible = redact(Object.fromEntries(entries.map(([key]) => [key, PROBE])));
    result[part] = Object.fromEntries(
      entries
        .filter(([key]) => key in visible)
        .map(([key, value]) => [key, visible[key] === PROBE ? value : visible[key]]),
    );
  }
  return result;
}

const PROBE = '\u0000probe';

/** The changed field names the reader may know of: those left in the redacted diff. */
function visibleChangedFields(names: unknown, redacted: unknown): unknown {
  if (!Array.isArray(names) || redacted === null || typeof redacted !== 'object') return names;
  const visible = new Set(changedFields(redacted as AuditDiff));
  return names.filter((name) => visible.has(String(name)));
}

function clientMeta(request: FastifyRequest): ClientMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, traceId: request.id };
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
}

const LOGIN_ROUTE = '/api/auth/login';

/** Takes one request from the client's budget; answers 429 when it is spent. */
function throttle(
  request: FastifyRequest,
  reply: FastifyReply,
  limiter: RateLimiter,
): FastifyReply | undefined {
  const retryAfter = limiter.take(request.ip);
  if (retryAfter <= 0) return undefined;
  reply.header('retry-after', String(retryAfter));
  return fail(request, reply, 429, 'TOO_MANY_REQUESTS', `Too many requests; retry in ${retryAfter}s`);
}

function fail(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return reply.code(status).send({ code, message, timestamp: new Date().toISOString(), traceId: request.id });
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof TooManyAttemptsError) {
    reply.header('retry-after', String(error.retryAfterSeconds));
    return fail(request, reply, 429, 'TOO_MANY_REQUESTS', error.message);
  }
  if (error instanceof AuthenticationError) return fail(request, reply, 401, 'UNAUTHORIZED', error.message);
  const mapped = mapError(error, request.id);
  return reply.code(mapped.status).send(mapped.body);
}
