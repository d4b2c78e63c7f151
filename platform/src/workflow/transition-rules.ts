import type { FieldError } from '../crud/types';
import { BadRequestError, BusinessRuleError, ForbiddenError, ValidationError } from '../crud/errors';
import { evaluateCondition, parsedExpression } from '../../../metadata/src/expression';
import type { I18nText, TransitionDef, WorkflowDef } from '../../../metadata/src/types';
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
  /** The label of a metadata field, for the Chinese texts of refusals. */
  labelOf?: (field: string) => I18nText | undefined;
}

/** A state's label; its code when the workflow does not declare it. */
function stateLabel(workflow: WorkflowDef, state: string): I18nText {
  return workflow.states[state]?.label ?? { en: state, zh: state };
}

/** The labels of a workflow's states and actions, for the field messages of its refusals. */
function workflowLabels(workflow: WorkflowDef) {
  return {
    states: Object.fromEntries(Object.keys(workflow.states).map((s) => [s, stateLabel(workflow, s)])),
    actions: Object.fromEntries(workflow.transitions.map((t) => [t.action, t.label])),
  };
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
  labelOf: (field: string) => I18nText | undefined = () => undefined,
): void {
  const rule = transition.separationOfDuties;
  if (!rule?.editors || !editors?.has(actor.userId)) return;
  const what = rule.fields ? `created it or edited its ${rule.fields.join(', ')}` : 'created or edited it';
  const message = `Action '${transition.action}' must be taken by someone else: you ${what} (separation of duties)`;
  const zhFields = rule.fields?.map((field) => labelOf(field)?.zh ?? field).join('、');
  const zhWhat = zhFields ? `创建了该记录或修改了其${zhFields}` : '创建或修改了该记录';
  throw new ForbiddenError(message, {
    rule: 'separation-of-duties',
    i18n: { en: message, zh: `操作「${transition.label.zh}」须由他人执行：您${zhWhat}(职责分离)` },
    labels: { actions: { [transition.action]: transition.label } },
    errors: [
      { field: 'action', path: '/action', rule: 'separation-of-duties', limit: transition.action, message },
    ],
  });
}

/** Guard result without throwing: true when there is no guard. */
export function guardHolds(transition: TransitionDef, record: Readonly<Record<string, unknown>>): boolean {
  return !transition.guard || evaluateCondition(parsedExpression(transition.guard), record);
}

/** Whether the approval step applies to this record (`when` absent = always). */
export function approvalApplies(
  transition: TransitionDef,
  record: Readonly<Record<string, unknown>>,
): boolean {
  const approval = transition.approval;
  if (!approval) return false;
  return !approval.when || evaluateCondition(parsedExpression(approval.when), record);
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

  const action = transition.label.zh;
  const labels = workflowLabels(workflow);
  if (!transition.from.includes(from)) {
    const message = `Action '${transition.action}' is not allowed in state ${from}; it needs one of ${transition.from.join(', ')}`;
    const needed = transition.from.map((state) => `「${stateLabel(workflow, state).zh}」`).join('、');
    throw new BusinessRuleError(message, {
      rule: 'transition',
      state: from,
      allowedFrom: transition.from,
      i18n: {
        en: message,
        zh: `操作「${action}」不能在「${stateLabel(workflow, from).zh}」状态下执行，需处于：${needed}`,
      },
    });
  }
  if (!actorMayFire(workflow, transition, input.actor)) {
    const permission = permissionOf(workflow, transition);
    const roles = transition.roles?.length ? ` and one of the roles ${transition.roles.join(', ')}` : '';
    const zhRoles = transition.roles?.length ? `，并需具备以下角色之一：${transition.roles.join('、')}` : '';
    const message = `Action '${transition.action}' needs the permission ${permission}${roles}`;
    throw new ForbiddenError(message, {
      permission,
      roles: transition.roles ?? [],
      i18n: { en: message, zh: `操作「${action}」需要权限 '${permission}'${zhRoles}` },
    });
  }
  assertSeparated(transition, input.actor, input.editors, input.labelOf);

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
  if (missing.length > 0) {
    const error = new ValidationError(missing, `Action '${transition.action}' is missing input`);
    error.details!.i18n = { en: error.message, zh: `操作「${action}」缺少输入` };
    error.details!.labels = {
      ...labels,
      fields: { reason: { en: 'reason', zh: '原因' }, password: { en: 'password', zh: '电子签名密码' } },
    };
    throw error;
  }

  if (!guardHolds(transition, merged)) {
    const fallback = `Condition not met: ${transition.guard}`;
    throw new BusinessRuleError(transition.guardMessage?.en ?? fallback, {
      rule: 'guard',
      guard: transition.guard,
      i18n: transition.guardMessage ?? {
        en: fallback,
        zh: `操作「${action}」的条件不满足：${transition.guard}`,
      },
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
