import type { Model } from '../../../metadata/src/model';
import type { VotableApproval } from '../contracts/automation';
import { ForbiddenError } from '../crud/errors';
import type { RequestContext } from '../crud/types';
import type { WorkflowActor } from '../workflow/actor';
import type {
  ActionBody,
  ActionResult,
  AvailableAction,
  SignatureClient,
  WorkflowService,
} from '../workflow/workflow.service';
import type { HistoryRow } from '../workflow/workflow-store';
import { holds, requireAccess } from './authorization/access';
import { redactRecord } from './authorization/redact';
import type { Principal } from './principal';
import { principalOf, withAccess } from './secure-operations';

/**
 * The workflow engine with the security steps around it, as SecureEntityOperations wraps the entity
 * engine: a context without a principal is refused (401); the record must be readable (403 without
 * read on its entity); firing an action governed by `<entity>:<action>` needs that permission, checked
 * before anything about the row is read, so a caller who may not fire it learns nothing of the row (not
 * even whether it exists). The engine then receives the principal's row scopes and reads the row in
 * them: outside the read scope, or outside the scope of the grant that fires the action, the row is a
 * 404 like a missing one. An approver's decision is judged by the workflow's approver rules, not by
 * the action's permission. The record in the answer shows only what the caller may read of it.
 *
 * The engine's own callers (domain behaviour, rules, timers, plugins) act for no user and call the
 * WorkflowService itself; requests of users go through this decorator.
 */
export class SecureWorkflowOperations {
  constructor(private readonly inner: WorkflowService) {}

  async fire(
    ctx: RequestContext,
    entity: string,
    id: number,
    action: string,
    body: ActionBody,
    client: SignatureClient = {},
  ): Promise<ActionResult> {
    const principal = principalOf(ctx);
    const permission = 'decision' in body ? null : transitionPermission(ctx.model, entity, action);
    if (permission !== null && !holds(principal, ctx.model, permission))
      throw new ForbiddenError(`Permission '${permission}' required`, { permission });
    requireAccess(principal, ctx.model, entity, 'read');
    const result = await this.inner.fire(
      withAccess(ctx, principal),
      workflowActorOf(principal, ctx.model),
      entity,
      id,
      action,
      body,
      client,
    );
    return { ...result, record: redactRecord(principal, ctx.model, entity, result.record) };
  }

  async available(ctx: RequestContext, entity: string, id: number): Promise<AvailableAction[]> {
    const principal = principalOf(ctx);
    requireAccess(principal, ctx.model, entity, 'read');
    return this.inner.available(
      withAccess(ctx, principal),
      workflowActorOf(principal, ctx.model),
      entity,
      id,
    );
  }

  /** The open approvals the caller may vote on, as the workflow's approver rules judge the caller. */
  async votableApprovals(ctx: RequestContext): Promise<VotableApproval[]> {
    const principal = principalOf(ctx);
    return this.inner.votableApprovals(withAccess(ctx, principal), workflowActorOf(principal, ctx.model));
  }

  async history(ctx: RequestContext, entity: string, id: number): Promise<HistoryRow[]> {
    const principal = principalOf(ctx);
    requireAccess(principal, ctx.model, entity, 'read');
    return this.inner.history(withAccess(ctx, principal), entity, id);
  }
}

/** The principal as the workflow engine sees an actor: id, role codes and the permissions it holds. */
function workflowActorOf(principal: Principal, model: Model): WorkflowActor {
  return {
    userId: principal.userId,
    roles: principal.roles,
    hasPermission: (code) => holds(principal, model, code),
  };
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
