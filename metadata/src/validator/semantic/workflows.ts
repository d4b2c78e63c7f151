import type { LoadedDocument } from '../../loader';
import { pointer } from '../../loader';
import { didYouMean } from '../../suggest';
import type { EntityDef, TransitionDef, WorkflowDef } from '../../types';
import type { SemanticContext } from './context';
import { enumValues, hasField } from './entity-paths';
import { requireField } from './entities';
import { checkExpression } from './expressions';
import { hasPermission } from '../../model/permissions';

/** Field update values: literals, `$now`/`$today`/`$user`, or `=<expression>`. */
const FIELD_UPDATE_VARIABLES = new Set(['$now', '$today', '$user']);

function requireState(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  states: string[],
  state: string,
): void {
  if (states.includes(state)) return;
  ctx.report(document, path, 'transition-state', `\`${state}\` is not a state of this workflow`, {
    hint: didYouMean(state, states) ?? `states: ${states.join(', ')}`,
  });
}

/** The state set equals the enum values of the state field, both ways. */
function checkStateField(
  ctx: SemanticContext,
  document: LoadedDocument,
  def: WorkflowDef,
  entity: EntityDef,
): void {
  const fieldName = def.field ?? 'status';
  const field = entity.fields[fieldName];
  const fieldPath = def.field ? pointer('field') : pointer('entity');
  if (!field) {
    ctx.report(
      document,
      fieldPath,
      'workflow-state-field',
      `entity \`${entity.entity}\` has no state field \`${fieldName}\``,
      {
        hint: def.field
          ? didYouMean(fieldName, Object.keys(entity.fields))
          : 'set `field:` to the enum field holding the state',
      },
    );
    return;
  }
  if (field.type !== 'enum') {
    ctx.report(
      document,
      fieldPath,
      'workflow-state-field',
      `state field \`${entity.entity}.${fieldName}\` must be an enum, not ${field.type}`,
    );
    return;
  }
  const values = enumValues(field);
  const states = Object.keys(def.states);
  for (const state of states.filter((s) => !values.includes(s))) {
    ctx.report(
      document,
      pointer('states', state),
      'workflow-states',
      `state \`${state}\` is not a value of \`${entity.entity}.${fieldName}\``,
      {
        at: 'key',
        hint: didYouMean(state, values) ?? `enum values: ${values.join(', ')}`,
      },
    );
  }
  for (const value of values.filter((v) => !states.includes(v))) {
    ctx.report(
      document,
      pointer('states'),
      'workflow-states',
      `enum value \`${value}\` of \`${entity.entity}.${fieldName}\` has no state`,
      {
        at: 'key',
      },
    );
  }
}

function checkTransition(
  ctx: SemanticContext,
  document: LoadedDocument,
  states: string[],
  transition: TransitionDef,
  index: number,
  entity: EntityDef | undefined,
): void {
  const at = (...segments: (string | number)[]): string => pointer('transitions', index, ...segments);
  transition.from.forEach((state, i) => requireState(ctx, document, at('from', i), states, state));
  requireState(ctx, document, at('to'), states, transition.to);
  (transition.roles ?? []).forEach((role, i) => {
    if (!ctx.isDeclared('role', role)) {
      ctx.report(document, at('roles', i), 'unknown-role', `role \`${role}\` does not exist`, {
        hint: didYouMean(role, ctx.namesOf('role')),
      });
    }
  });
  if (transition.guard) checkExpression(ctx, document, at('guard'), transition.guard, entity);
  if (transition.approval?.when)
    checkExpression(ctx, document, at('approval', 'when'), transition.approval.when, entity);
  if (!entity) return;
  (transition.requiredFields ?? []).forEach((field, i) =>
    requireField(ctx, document, at('requiredFields', i), entity, field, 'workflow-field'),
  );
  (transition.optionalFields ?? []).forEach((field, i) =>
    requireField(ctx, document, at('optionalFields', i), entity, field, 'workflow-field'),
  );
  (transition.separationOfDuties?.fields ?? []).forEach((field, i) =>
    requireField(ctx, document, at('separationOfDuties', 'fields', i), entity, field, 'workflow-field'),
  );
  const inputs = [...(transition.requiredFields ?? []), ...(transition.optionalFields ?? [])];
  for (const [field, expression] of Object.entries(transition.readonlyWhen ?? {})) {
    if (!inputs.includes(field))
      ctx.report(
        document,
        at('readonlyWhen', field),
        'workflow-field',
        `\`${field}\` is no input of \`${transition.action}\` (requiredFields, optionalFields)`,
        { at: 'key', hint: didYouMean(field, inputs) },
      );
    checkExpression(ctx, document, at('readonlyWhen', field), expression, entity);
  }
  for (const [field, value] of Object.entries(transition.set ?? {})) {
    if (!hasField(entity, field)) {
      ctx.report(
        document,
        at('set', field),
        'workflow-field',
        `entity \`${entity.entity}\` has no field \`${field}\``,
        {
          at: 'key',
          hint: didYouMean(field, Object.keys(entity.fields)),
        },
      );
    }
    if (typeof value !== 'string') continue;
    if (value.startsWith('=')) checkExpression(ctx, document, at('set', field), value.slice(1), entity, 1);
    else if (value.startsWith('$') && !FIELD_UPDATE_VARIABLES.has(value)) {
      ctx.report(document, at('set', field), 'workflow-field', `unknown variable \`${value}\``, {
        hint: `use one of ${[...FIELD_UPDATE_VARIABLES].join(', ')}, or \`=<expression>\``,
      });
    }
  }
}

/** Workflow entity and state field, states against the enum, initial state and every transition. */
export function checkWorkflows(ctx: SemanticContext): void {
  // Roles short of all-powerful, whose grants decide whether a transition can be performed.
  const limitedRoles = [...ctx.set.roles.values()]
    .filter((role) => !hasPermission(role.permissions, '*:*'))
    .map((role) => ({ role: role.role, grants: grantsOf(role.permissions) }));
  for (const { document, def } of ctx.documentsOf('workflow')) {
    if (!ctx.isDeclared('entity', def.entity)) {
      ctx.report(document, pointer('entity'), 'workflow-entity', `entity \`${def.entity}\` does not exist`, {
        hint: didYouMean(def.entity, ctx.namesOf('entity')),
      });
    }
    const entity = ctx.set.entities.get(def.entity);
    if (entity) checkStateField(ctx, document, def, entity);
    const states = Object.keys(def.states);
    if (!states.includes(def.initial)) {
      ctx.report(
        document,
        pointer('initial'),
        'workflow-initial',
        `initial state \`${def.initial}\` is not a state of this workflow`,
        {
          hint: didYouMean(def.initial, states) ?? `states: ${states.join(', ')}`,
        },
      );
    }
    def.transitions.forEach((transition, index) =>
      checkTransition(ctx, document, states, transition, index, entity),
    );
    def.transitions.forEach((transition, index) =>
      warnUnperformable(ctx, document, def, transition, index, limitedRoles),
    );
    if (entity)
      for (const [state, { editable }] of Object.entries(def.states))
        (editable ?? []).forEach((field, i) =>
          requireField(
            ctx,
            document,
            pointer('states', state, 'editable', i),
            entity,
            field,
            'workflow-field',
          ),
        );
  }
}

/**
 * A transition nobody but an all-powerful role can fire is a gap in the shipped roles: warned, not
 * refused (a tenant may grant it to a role of its own).
 */
function warnUnperformable(
  ctx: SemanticContext,
  document: LoadedDocument,
  def: WorkflowDef,
  transition: TransitionDef,
  index: number,
  roles: readonly { role: string; grants: Grants }[],
): void {
  const permission = transition.permission ?? `${def.entity}:${transition.action}`;
  const performs = roles.some(
    ({ role, grants }) =>
      grants.exact.has(permission) ||
      hasPermission(grants.wildcards, permission) ||
      (transition.roles ?? []).includes(role),
  );
  if (performs) return;
  ctx.report(
    document,
    pointer('transitions', index, 'action'),
    'workflow-unperformable',
    `no role may perform \`${transition.action}\` of \`${def.workflow}\` (permission \`${permission}\`)`,
    { severity: 'warning', hint: 'grant the permission to the role that does this job' },
  );
}

/** A role's codes: those without `*` match only themselves, so they are looked up, not scanned. */
interface Grants {
  exact: ReadonlySet<string>;
  wildcards: readonly string[];
}

function grantsOf(codes: readonly string[]): Grants {
  return {
    exact: new Set(codes.filter((code) => !code.includes('*'))),
    wildcards: codes.filter((code) => code.includes('*')),
  };
}
