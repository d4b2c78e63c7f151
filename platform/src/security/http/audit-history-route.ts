/**
 * A record's audit history (`GET /api/<path>/:id/audit`): to whoever may read the record, without the
 * fields the reader may not see. The route is the security layer's because it reads the audit trail,
 * which only the security layer may show.
 */
import type { FastifyInstance } from 'fastify';
import { changedFields, type AuditDiff } from '../../audit/audit-diff';
import { auditHistory } from '../../audit/audit-history';
import { successEnvelope } from '../../crud/http/envelope';
import type { EntityOperations } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { redactRecord } from '../authorization/redact';
import { principalContext, principalOfRequest } from './request-principal';
import { fail, sendError } from './replies';

export interface RecordAccess {
  models: ModelRegistry;
  /** The secured operations: the record read decides who may see its history. */
  operations: EntityOperations;
  database: EngineDatabase;
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
export function registerAuditHistoryRoute(fastify: FastifyInstance, records: RecordAccess): void {
  fastify.get<{ Params: { path: string; id: string } }>('/api/:path/:id/audit', async (request, reply) => {
    const principal = principalOfRequest(request);
    if (!principal) return fail(request, reply, 401, 'UNAUTHORIZED', 'Authentication required');
    const model = records.models.current();
    const entity = model.entitiesByPath.get(request.params.path);
    const id = Number(request.params.id);
    if (!entity || !Number.isSafeInteger(id) || id <= 0)
      return fail(request, reply, 404, 'NOT_FOUND', 'No such record');
    const ctx = principalContext(request, principal, model);
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
