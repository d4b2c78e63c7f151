import type { HookRegistry, WriteAction } from '../crud/hooks';
import { createEnvelope } from './envelope';
import { writeOutbox } from './outbox';

const EVENT_OF: Record<WriteAction, 'created' | 'updated' | 'deleted' | null> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  restore: 'updated',
};

/**
 * Every CRUD write emits its entity's event (`events:` in metadata, default `<entity>.created|updated|
 * deleted`) into the outbox inside the write's transaction; the payload is the record after the write
 * (before it, for deletes) in API shape.
 */
export function registerOutboxHooks(hooks: HookRegistry): () => void {
  return hooks.on(
    'inTransaction',
    { entity: '*', action: '*' },
    async ({ tx, ctx, entity, action, record, previous }) => {
      const kind = EVENT_OF[action];
      const compiled = ctx.model.entities.get(entity);
      if (!kind || !compiled) return;
      const payload = action === 'delete' ? (previous ?? record) : record;
      await writeOutbox(tx, ctx.model, [
        createEnvelope({
          type: compiled.events[kind],
          tenant: ctx.tenantId,
          actor: ctx.userId,
          traceId: ctx.traceId,
          entity,
          entityId: record.id as number,
          payload,
        }),
      ]);
    },
  );
}
