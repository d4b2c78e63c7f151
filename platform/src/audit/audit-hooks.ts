import type { HookRegistry, WriteAction } from '../crud/hooks';
import { appendAudit } from './audit-writer';
import type { AuditAction } from './audit-record';

const ACTIONS: Record<WriteAction, AuditAction> = {
  create: 'CREATE',
  update: 'UPDATE',
  delete: 'DELETE',
  restore: 'RESTORE',
  transition: 'TRANSITION',
};

/** Entities whose rows are the log itself: auditing them would only audit the audit. */
const UNAUDITED = new Set(['audit_log', 'security_audit_log']);

/**
 * The audit record of every record change (CRUD, bulk, import, workflow transitions, domain rules),
 * inside its transaction: the record and the change commit or roll back together. It carries who
 * changed it (id, name, IP and user agent of the request) and, for a transition, its action and
 * reason. Returns the function that unregisters the hook.
 */
export function registerAuditHooks(hooks: HookRegistry): () => void {
  return hooks.on(
    'inTransaction',
    { entity: '*', action: '*' },
    async ({ tx, entity, action, ctx, record, previous, transition }) => {
      if (UNAUDITED.has(entity)) return;
      await appendAudit(tx, {
        tenantId: ctx.tenantId,
        actorId: ctx.userId ?? 'system',
        actorName: ctx.client?.actorName ?? null,
        entity,
        recordId: String(record.id ?? previous?.id ?? ''),
        action: ACTIONS[action],
        transition: transition?.action ?? null,
        before: previous,
        after: action === 'delete' ? null : record,
        model: ctx.model,
        reason: transition?.reason ?? null,
        ip: ctx.client?.ip ?? null,
        userAgent: ctx.client?.userAgent ?? null,
        traceId: ctx.traceId,
      });
    },
    // With the outbox writer, after every other hook of the change.
    { stage: 'record' },
  );
}
