import type { HookRegistry, WriteAction } from '../crud/hooks';
import { appendAudit } from './audit-writer';
import type { AuditAction } from './audit-record';

const ACTIONS: Record<WriteAction, AuditAction> = {
  create: 'CREATE',
  update: 'UPDATE',
  delete: 'DELETE',
  restore: 'RESTORE',
};

/** Entities whose rows are the log itself: auditing them would only audit the audit. */
const UNAUDITED = new Set(['audit_log', 'security_audit_log']);

/**
 * Audits every write of EntityService inside its transaction: the record and the change commit or
 * roll back together. Returns the function that unregisters the hook.
 */
export function registerAuditHooks(hooks: HookRegistry): () => void {
  return hooks.on(
    'inTransaction',
    { entity: '*', action: '*' },
    async ({ tx, entity, action, ctx, record, previous }) => {
      if (UNAUDITED.has(entity)) return;
      await appendAudit(tx, {
        tenantId: ctx.tenantId,
        actorId: ctx.userId ?? 'system',
        entity,
        recordId: String(record.id ?? previous?.id ?? ''),
        action: ACTIONS[action],
        before: previous,
        after: action === 'delete' ? null : record,
        model: ctx.model,
        traceId: ctx.traceId,
      });
    },
    // Last: the chain-head lock this takes is shared by every write of the tenant until commit.
    { runLast: true },
  );
}
