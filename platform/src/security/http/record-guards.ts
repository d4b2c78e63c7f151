/**
 * Access to records outside the CRUD pipeline: guards on the workflow, trace and admin metadata
 * routes, and the record history route (`GET /api/<path>/:id/audit`). The guards read the route the
 * router matched, never the raw URL.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Model } from '../../../../metadata/src/model';
import { changedFields, type AuditDiff } from '../../audit/audit-diff';
import { auditHistory } from '../../audit/audit-history';
import { ForbiddenError } from '../../crud/errors';
import { successEnvelope } from '../../crud/http/envelope';
import type { EntityOperations } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { holds } from '../authorization/access';
import { redactRecord } from '../authorization/redact';
import {
  authorizeTrace,
  isTraceNode,
  redactTraceReport,
  scopedTraceKinds,
} from '../authorization/trace-access';
import type { Principal, SecureContext } from '../principal';
import { SecureEntityOperations } from '../secure-operations';
import { principalOfRequest } from './request-principal';
import { fail, objectBody, sendError } from './replies';
import { routedPath } from './route-access';

export interface RecordAccess {
  models: ModelRegistry;
  /** The secured operations: the record read decides who may see its history. */
  operations: EntityOperations;
  database: EngineDatabase;
}

const WORKFLOW_ROUTE = /^\/api\/([a-z0-9-]+)\/(\d+)\/(actions|history)(?:\/([A-Za-z0-9_]+))?$/;
const TRACE_ROUTE = /^\/api\/trace\/(reverse|forward|impact)$/;

/**
 * Guards of routes outside the CRUD pipeline. Workflow routes (`/:id/actions[/:action]`,
 * `/:id/history`): the record must be readable, and firing an action governed by
 * `<entity>:<action>` needs that permission and the row inside its scope (an approver's decision
 * is judged by the workflow's approver rules). Trace routes need read on serials and lots (and on
 * the start kind; the impact report on shipments too), and nodes of kinds the caller may not read
 * are dropped from the report.
 */
export function registerRecordGuards(fastify: FastifyInstance, records: RecordAccess): void {
  registerAuditHistoryRoute(fastify, records);
  fastify.addHook('preHandler', async (request, reply) => {
    const principal = principalOfRequest(request);
    const path = routedPath(request);
    if (!principal || path === undefined) return;
    const model = records.models.current();
    try {
      const trace = TRACE_ROUTE.exec(path);
      if (trace) {
        authorizeTrace(principal, model, (request.query ?? {}) as Record<string, unknown>, trace[1]);
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

/** A record's audit history, to whoever may read the record; fields the reader may not see are left out. */
function registerAuditHistoryRoute(fastify: FastifyInstance, records: RecordAccess): void {
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
}
