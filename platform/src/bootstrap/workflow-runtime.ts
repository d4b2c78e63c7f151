/**
 * Domain behaviour on the engine's writes: the hand-written domain hooks, the outbox events of every
 * CRUD write, the workflow pin of new records, and the WorkflowService behind the action routes.
 */
import type { EntityService } from '../crud/entity.service';
import type { RequestContext } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import { workOrderTransitionHooks } from '../domain/production/work-order-transitions';
import { QUALITY_TRANSITION_HOOKS, registerQualityHoldGuards } from '../domain/quality/quality-rules';
import { registerDomainHooks } from '../generated/domain-hook-registry';
import { registerOutboxHooks } from '../events/register-outbox-hooks';
import { verifyPassword } from '../security/auth/password';
import { findAccount } from '../security/auth/principal-loader';
import { registerWorkflowHooks } from '../workflow/register-workflow-hooks';
import { WorkflowService } from '../workflow/workflow.service';

/**
 * Registers the hooks on EntityService and returns the WorkflowService; `onCommitted` runs after each
 * committed write (it wakes the outbox relay and the audit sealer).
 */
export function wireWorkflowsAndEvents(
  service: EntityService,
  database: EngineDatabase,
  onCommitted: () => void,
): WorkflowService {
  // Before the domain hooks: a held lot is refused for its hold, not for whatever its movement would do.
  registerQualityHoldGuards(service.hooks);
  const workflows = new WorkflowService(database, service, {
    transitionHooks: [...workOrderTransitionHooks(service), ...QUALITY_TRANSITION_HOOKS],
    verifyPassword: (ctx, userId, password) => signatureMatches(database, ctx, userId, password),
  });
  registerDomainHooks(service.hooks);
  registerOutboxHooks(service.hooks);
  registerWorkflowHooks(service.hooks, workflows);
  service.hooks.on('after', { entity: '*', action: '*' }, onCommitted);
  return workflows;
}

/** E-signature: the password of the signed-in, active account, checked like a login. */
async function signatureMatches(
  database: EngineDatabase,
  ctx: RequestContext,
  userId: string,
  password: string,
): Promise<boolean> {
  const account = await findAccount(database.executor(), ctx.model, ctx.tenantId, { id: userId });
  return account !== null && account.status === 'ACTIVE' && verifyPassword(account.passwordHash, password);
}
