import type { FieldError } from '../crud/types';
import { BadRequestError, BusinessRuleError, ForbiddenError, ValidationError } from '../crud/errors';
import { evaluateCondition, parseExpression } from '../../../metadata/src/expression';
import type { TransitionDef, WorkflowDef } from '../../../metadata/src/types';
import type { WorkflowActor } from './actor';
import { resolveFieldUpdates } from './field-updates';

/** What the caller sends with `POST …/actions/<action>`, field names already in metadata form. */
export interface TransitionRequest {
  action: string;
  reason?: string | null;
  /** Field values supplied with the action (e.g. `cancel_reason`); merged into the record. */
  fields: Readonly<Record<string, unknown>>;
  /** Whether the request carried an e-signature password; the service verifies it separately. */
  signed: boolean;
}

export interface TransitionInput {
  /** The workflows the entity runs, each at the version this record started with. */
  workflows: readonly WorkflowDef[];
  /** The record in metadata form (snake_case field names; relations by their field name → id). */
  record: Readonly<Record<string, unknown>>;
  actor: WorkflowActor;
  /** Who created or edited the record, when the transition separates duties (`separationOfDuties`). */
  editors?: ReadonlySet<string>;
  request: TransitionRequest;
  now: Date;
  /** Maps a metadata field name to its API property, for error paths. */
  apiNameOf?: (field: string) => string;
}

/** A transition that may run now: the changes to write and the events to emit. */
export interface TransitionPlan {
  workflow: WorkflowDef;
  transition: TransitionDef;
  from: string;
  to: string;
  /** State field, supplied fields and `set` values, in metadata form. */
  updates: Record<string, unknown>;
  events: string[];
  /** True when an approval step must collect its votes before the transition applies. */
  needsApproval: boolean;
}

/** The state field of a workflow (default `status`). */
export function stateFieldOf(workflow: WorkflowDef): string {
  return workflow.field ?? 'status';
}

/** The record's state in this workflow; a record that never entered it sits in the initial state. */
export function currentState(workflow: WorkflowDef, record: Readonly<Record<string, unknown>>): string {
  const value = record[stateFieldOf(workflow)];
  return typeof value === 'string' && value !== '' ? value : workflow.initial;
}

/** Permission a transition needs: declared, else `<entity>:<action>`. */
export function permissionOf(workflow: WorkflowDef, transition: TransitionDef): string {
  return transition.permission ?? `${workflow.entity}:${transition.action}`;
}

export function findTransition(
  workflows: readonly WorkflowDef[],
  action: string,
): { workflow: WorkflowDef; transition: TransitionDef } {
  for (const workflow of workflows) {
    const transition = workflow.transitions.find((t) => t.action === action);
    if (transition) return { workflow, transition };
  }
  const known = workflows.flatMap((w) => w.transitions.map((t) => t.action));
  throw new BadRequestError(`Unknown action '${action}'; known actions: ${known.join(', ') || 'none'}`, {
    errors: [
      { field: 'action', path: '/action', rule: 'enum', limit: known, message: `Unknown action '${action}'` },
    ],
  });
}

/** Whether the actor holds the transition's permission and, when roles are listed, one of them. */
export function actorMayFire(
  workflow: WorkflowDef,
  transition: TransitionDef,
  actor: WorkflowActor,
): boolean {
  if (!actor.hasPermission(permissionOf(workflow, transition))) return false;
  return !transition.roles?.length || transition.roles.some((role) => actor.roles.includes(role));
}

/**
 * Segregation of duties: refuses the actor when the transition declares `separationOfDuties` and
 * they created or edited the record (`editors`, read from its audit trail).
 */
export function assertSeparated(
  transition: TransitionDef,
  actor: WorkflowActor,
  editors: ReadonlySet<string> | undefined,
): void {
  const rule = transition.separationOfDuties;
  if (!rule?.editors || !editors?.has(actor.userId)) return;
  const what = rule.fields ? `created it or edited its ${rule.fields.join(', ')}` : 'created or edited it';
  const message = `Action '${transition.action}' must be taken by someone else: you ${what} (separation of duties)`;
  throw new ForbiddenError(message, {
    rule: 'separation-of-duties',
    errors: [
      { field: 'action', path: '/action', rule: 'separation-of-duties', limit: transition.action, message },
    ],
  });
}

/** Guard result without throwing: true when there is no guard. */
export function guardHolds(transition: TransitionDef, record: Readonly<Record<string, unknown>>): boolean {
  return !transition.guard || evaluateCondition(parseExpression(transition.guard), record);
}

/** Whether the approval step applies to this record (`when` absent = always). */
export function approvalApplies(
  transition: TransitionDef,
  record: Readonly<Record<string, unknown>>,
): boolean {
  const approval = transition.approval;
  if (!approval) return false;
  return !approval.when || evaluateCondition(parseExpression(approval.when), record);
}

/**
 * Checks every rule of the transition in the order a user can act on — state, permission/roles,
 * separation of duties, reason, e-signature presence, required fields, guard — and returns the plan or throws the matching
 * API error (400 unknown action, 403 not permitted, 422 wrong state/guard/missing input).
 */
export function planTransition(input: TransitionInput): TransitionPlan {
  const { workflow, transition } = findTransition(input.workflows, input.request.action);
  const apiNameOf = input.apiNameOf ?? ((field: string) => field);
  const from = currentState(workflow, input.record);

  if (!transition.from.includes(from)) {
    throw new BusinessRuleError(
      `Action '${transition.action}' is not allowed in state ${from}; it needs one of ${transition.from.join(', ')}`,
      { rule: 'transition', state: from, allowedFrom: transition.from },
    );
  }
  if (!actorMayFire(workflow, transition, input.actor)) {
    const roles = transition.roles?.length ? ` and one of the roles ${transition.roles.join(', ')}` : '';
    throw new ForbiddenError(
      `Action '${transition.action}' needs the permission ${permissionOf(workflow, transition)}${roles}`,
      { permission: permissionOf(workflow, transition), roles: transition.roles ?? [] },
    );
  }
  assertSeparated(transition, input.actor, input.editors);

  const missing: FieldError[] = [];
  if (transition.reasonRequired && !hasValue(input.request.reason)) {
    missing.push(requiredError('reason', '/reason', 'A reason is required for this action'));
  }
  if (transition.signature && !input.request.signed) {
    missing.push(
      requiredError('password', '/password', 'This action needs an e-signature: re-enter your password'),
    );
  }
  const merged = { ...input.record, ...input.request.fields };
  for (const field of transition.requiredFields ?? []) {
    if (!hasValue(merged[field])) {
      const apiName = apiNameOf(field);
      missing.push(
        requiredError(apiName, `/fields/${apiName}`, `${apiName} is required for '${transition.action}'`),
      );
    }
  }
  if (missing.length > 0)
    throw new ValidationError(missing, `Action '${transition.action}' is missing input`);

  if (!guardHolds(transition, merged)) {
    throw new BusinessRuleError(transition.guardMessage?.en ?? `Condition not met: ${transition.guard}`, {
      rule: 'guard',
      guard: transition.guard,
      ...(transition.guardMessage ? { i18n: transition.guardMessage } : {}),
    });
  }

  const stateField = stateFieldOf(workflow);
  const updates: Record<string, unknown> = { ...input.request.fields, [stateField]: transition.to };
  const computed = resolveFieldUpdates(
    transition.set,
    { ...merged, [stateField]: transition.to },
    {
      userId: input.actor.engine ? null : input.actor.userId,
      now: input.now,
    },
  );
  return {
    workflow,
    transition,
    from,
    to: transition.to,
    updates: { ...updates, ...computed },
    events: transition.emits ?? [],
    needsApproval: approvalApplies(transition, merged),
  };
}

function hasValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function requiredError(field: string, path: string, message: string): FieldError {
  return { field, path, rule: 'required', message };
}
