import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { HookRegistry } from '../crud/hooks';
import type { WorkflowService } from './workflow.service';

/**
 * Pins every new record to the current version of its entity's workflows, inside the create
 * transaction, so later metadata versions never change the rules a running record follows.
 */
export function registerWorkflowHooks(hooks: HookRegistry, workflows: WorkflowService): () => void {
  return hooks.on('inTransaction', { entity: '*', action: 'create' }, async ({ tx, ctx, entity, record }) => {
    const compiled = ctx.model.entities.get(entity);
    if (!compiled || ![...ctx.model.workflows.values()].some((w) => w.entity === entity)) return;
    const values: Record<string, unknown> = {};
    for (const field of compiled.fields) values[field.name] = record[apiPropertyOf(field)];
    await workflows.pin(tx, ctx, { tenant: ctx.tenantId, entity, recordId: Number(record.id) }, values, true);
  });
}
