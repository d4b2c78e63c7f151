/**
 * Domain behaviour on the engine's writes: the hand-written domain hooks, the outbox events of every
 * CRUD write, and the WorkflowService behind the action routes (which pins a record to its workflow
 * versions at its first action).
 */
import type { EntityService } from '../crud/entity.service';
import type { RequestContext } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import { workOrderTransitionHooks } from '../domain/production/work-order-transitions';
import { QUALITY_TRANSITION_HOOKS, registerQualityHoldGuards } from '../domain/quality/quality-rules';
import { registerSerialTests, serialStepHooks } from '../domain/quality/serial-steps';
import { oqcMarksBox, shippingMarksContents } from '../domain/production/shipping';
import { registerDomainHooks } from '../generated/domain-hook-registry';
import { registerOutboxHooks } from '../events/register-outbox-hooks';
import { AuthenticationError } from '../security/auth/auth-errors';
import type { CredentialVerifier } from '../security/auth/credentials';
import { WorkflowService, type SignatureClient } from '../workflow/workflow.service';

/**
 * Registers the hooks on EntityService and returns the WorkflowService; `onCommitted` runs after each
 * committed write (it wakes the outbox relay and the audit sealer).
 */
export function wireWorkflowsAndEvents(
  service: EntityService,
  database: EngineDatabase,
  onCommitted: () => void,
  credentials: CredentialVerifier,
): WorkflowService {
  registerQualityHoldGuards(service.hooks);
  const workflows = new WorkflowService(database, service, {
    transitionHooks: [
      ...workOrderTransitionHooks(service),
      ...QUALITY_TRANSITION_HOOKS,
      serialStepHooks,
      oqcMarksBox,
      shippingMarksContents,
    ],
    verifyPassword: (ctx, userId, password, client) =>
      signatureMatches(credentials, ctx, userId, password, client),
  });
  registerDomainHooks(service.hooks);
  registerSerialTests(service.hooks, workflows);
  registerOutboxHooks(service.hooks);
  service.hooks.on('after', { entity: '*', action: '*' }, onCommitted, { stage: 'record' });
  return workflows;
}

/**
 * E-signature: the password of the signed-in, active account, checked like a sign-in (same throttle,
 * a failure audited as LOGIN_FAILED); 429 while the account is throttled for this client.
 */
async function signatureMatches(
  credentials: CredentialVerifier,
  ctx: RequestContext,
  userId: string,
  password: string,
  client: SignatureClient,
): Promise<boolean> {
  try {
    await credentials.verify(
      ctx.tenantId,
      { id: userId },
      password,
      { ...client, traceId: ctx.traceId },
      'e-signature',
    );
    return true;
  } catch (error) {
    if (error instanceof AuthenticationError) return false;
    throw error;
  }
}
