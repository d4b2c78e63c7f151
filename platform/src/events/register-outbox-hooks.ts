import type { HookRegistry, InTransactionHookArgs, WriteAction } from '../crud/hooks';
import { createEnvelope, type EventEnvelope } from './envelope';
import { writeOutbox } from './outbox';

const EVENT_OF: Record<Exclude<WriteAction, 'transition'>, 'created' | 'updated' | 'deleted'> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  restore: 'updated',
};

/**
 * The outbox events of every record change, inside its transaction. A CRUD write emits its entity's
 * event (`events:` in metadata, default `<entity>.created|updated|deleted`) whose payload is the
 * record after the write (before it, for deletes) in API shape, unless the change's author decides
 * otherwise (`announce`: no event, or its payload); a workflow transition emits the events it
 * declares, with its payload and what its hooks added for each type.
 */
export function registerOutboxHooks(hooks: HookRegistry): () => void {
  return hooks.on(
    'inTransaction',
    { entity: '*', action: '*' },
    async (args) => {
      const events = eventsOf(args);
      if (events.length > 0) await writeOutbox(args.tx, args.ctx.model, events);
    },
    // After the domain hooks, which may add to a transition's event payloads.
    { stage: 'record' },
  );
}

function eventsOf({
  ctx,
  entity,
  action,
  record,
  previous,
  transition,
  announce,
}: InTransactionHookArgs): EventEnvelope[] {
  const base = { tenant: ctx.tenantId, actor: ctx.userId, traceId: ctx.traceId, entity };
  const entityId = Number(record.id ?? previous?.id);
  if (action === 'transition') {
    if (!transition) return [];
    return transition.events.map((type) =>
      createEnvelope({
        ...base,
        type,
        entityId,
        payload: { ...transition.eventPayload, ...transition.eventData[type] },
      }),
    );
  }
  const compiled = ctx.model.entities.get(entity);
  if (!compiled || announce === false) return [];
  const payload = announce ? announce(record) : action === 'delete' ? (previous ?? record) : record;
  return [createEnvelope({ ...base, type: compiled.events[EVENT_OF[action]], entityId, payload })];
}
