import { Cron } from 'croner';
import { pointer, type LoadedDocument } from '../../loader';
import { didYouMean } from '../../suggest';
import type { EntityDef, FieldUpdateValue, RuleDef, WorkflowDef } from '../../types';
import { isSynchronousRule } from '../../model/rules';
import type { SemanticContext } from './context';
import { requireField, requireFieldPath } from './entities';
import { calendarPathProblem } from './entity-paths';
import { checkExpression } from './expressions';

/** Field values in rules: literals, `$now`/`$today`/`$user`, or `=<expression>`, as in workflows. */
const VALUE_VARIABLES = new Set(['$now', '$today', '$user']);

function workflowOf(ctx: SemanticContext, entity: EntityDef): WorkflowDef | undefined {
  return entity.workflow ? ctx.set.workflows.get(entity.workflow) : undefined;
}

function checkValues(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string[],
  entity: EntityDef,
  target: EntityDef,
  values: Record<string, FieldUpdateValue>,
  measures: ReadonlySet<string>,
): void {
  for (const [field, value] of Object.entries(values)) {
    requireField(ctx, document, pointer(...path, field), target, field, 'rule-action');
    if (typeof value !== 'string') continue;
    if (value.startsWith('='))
      checkExpression(ctx, document, pointer(...path, field), value.slice(1), entity, 1, measures);
    else if (value.startsWith('$') && !VALUE_VARIABLES.has(value))
      ctx.report(document, pointer(...path, field), 'rule-action', `unknown variable \`${value}\``, {
        hint: `use one of ${[...VALUE_VARIABLES].join(', ')} or =<expression>`,
      });
  }
}

/** The entity a `record:` relation of the rule's entity points to; reports when it is not a relation. */
function actedOn(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  entity: EntityDef,
  record: string | undefined,
): EntityDef | undefined {
  if (!record) return entity;
  const field = entity.fields[record];
  if (field?.type !== 'relation') {
    ctx.report(document, path, 'rule-action', `\`${record}\` is not a relation of \`${entity.entity}\``, {
      hint: didYouMean(record, Object.keys(entity.fields)),
    });
    return undefined;
  }
  return ctx.set.entities.get(field.to);
}

function checkAction(
  ctx: SemanticContext,
  document: LoadedDocument,
  rule: RuleDef,
  entity: EntityDef,
  index: number,
  measures: ReadonlySet<string>,
): void {
  const action = rule.actions[index]!;
  const at = (...keys: string[]) => pointer('actions', String(index), ...keys);
  const kinds = Object.keys(action).filter((key) => !['record', 'values', 'reason'].includes(key));
  if (kinds.length !== 1) {
    ctx.report(
      document,
      at(),
      'rule-action',
      `an action does exactly one thing; this one has ${kinds.join(', ') || 'none'}`,
    );
    return;
  }
  if ('refuse' in action && !isSynchronousRule(rule))
    ctx.report(
      document,
      at('refuse'),
      'rule-action',
      '`refuse` needs a record trigger (created, updated, changed, transition) and only `set`/`refuse` actions on the record, so the rule runs inside the write',
    );
  if ('set' in action) {
    const target = actedOn(ctx, document, at('record'), entity, action.record);
    if (target)
      checkValues(ctx, document, ['actions', String(index), 'set'], entity, target, action.set, measures);
  }
  if ('transition' in action) {
    const target = actedOn(ctx, document, at('record'), entity, action.record);
    const workflow = target && workflowOf(ctx, target);
    if (target && !workflow)
      ctx.report(document, at('transition'), 'rule-action', `entity \`${target.entity}\` has no workflow`);
    else if (workflow && !workflow.transitions.some((t) => t.action === action.transition))
      ctx.report(
        document,
        at('transition'),
        'rule-action',
        `workflow \`${workflow.workflow}\` has no action \`${action.transition}\``,
        {
          hint: didYouMean(
            action.transition,
            workflow.transitions.map((t) => t.action),
          ),
        },
      );
  }
  if ('create' in action) {
    const target = ctx.set.entities.get(action.create);
    if (!target)
      ctx.report(document, at('create'), 'rule-entity', `entity \`${action.create}\` does not exist`, {
        hint: didYouMean(action.create, [...ctx.set.entities.keys()]),
      });
    else
      checkValues(
        ctx,
        document,
        ['actions', String(index), 'values'],
        entity,
        target,
        action.values ?? {},
        measures,
      );
  }
  if ('alert' in action) {
    if (action.alert.assignee)
      requireFieldPath(ctx, document, at('alert', 'assignee'), entity, action.alert.assignee, 'rule-field');
    if (action.alert.value)
      checkExpression(ctx, document, at('alert', 'value'), action.alert.value, entity, 0, measures);
    if (action.alert.per)
      requireFieldPath(ctx, document, at('alert', 'per'), entity, action.alert.per, 'rule-field');
  }
  if ('notify' in action)
    for (const [position, role] of (action.notify.roles ?? []).entries())
      if (!ctx.set.roles.has(role))
        ctx.report(
          document,
          at('notify', 'roles', String(position)),
          'unknown-role',
          `role \`${role}\` does not exist`,
          {
            hint: didYouMean(role, [...ctx.set.roles.keys()]),
          },
        );
  if ('notify' in action)
    for (const [position, user] of (action.notify.users ?? []).entries())
      requireFieldPath(ctx, document, at('notify', 'users', String(position)), entity, user, 'rule-field');
  for (const key of ['startTimer', 'cancelTimer'] as const) {
    if (!(key in action)) continue;
    const name = (action as Record<string, string>)[key]!;
    const timer = ctx.set.rules.get(name);
    if (!timer || timer.trigger.on !== 'timer' || timer.entity !== rule.entity)
      ctx.report(document, at(key), 'rule-action', `\`${name}\` is not a timer rule of \`${rule.entity}\``, {
        hint: didYouMean(
          name,
          [...ctx.set.rules.values()]
            .filter((r) => r.trigger.on === 'timer' && r.entity === rule.entity)
            .map((r) => r.rule),
        ),
      });
  }
}

function checkTrigger(
  ctx: SemanticContext,
  document: LoadedDocument,
  rule: RuleDef,
  entity: EntityDef,
): void {
  const trigger = rule.trigger as Record<string, unknown> & RuleDef['trigger'];
  const at = (key: string) => pointer('trigger', key);
  const allowed: Record<string, string[]> = {
    created: [],
    updated: ['fields'],
    deleted: [],
    changed: ['field', 'from', 'to'],
    transition: ['action', 'to'],
    event: ['event'],
    schedule: ['cron'],
    timer: ['after', 'since', 'state'],
  };
  for (const key of Object.keys(trigger).filter((k) => k !== 'on' && !allowed[trigger.on]!.includes(k)))
    ctx.report(
      document,
      at(key),
      'rule-trigger',
      `\`${key}\` does not apply to the \`${trigger.on}\` trigger`,
      {
        at: 'key',
        hint: allowed[trigger.on]!.length
          ? `it takes ${allowed[trigger.on]!.join(', ')}`
          : 'it takes no options',
      },
    );
  const workflow = workflowOf(ctx, entity);
  switch (trigger.on) {
    case 'updated':
      for (const [index, field] of (trigger.fields ?? []).entries())
        requireField(
          ctx,
          document,
          pointer('trigger', 'fields', String(index)),
          entity,
          field,
          'rule-trigger',
        );
      break;
    case 'changed':
      if (!trigger.field)
        ctx.report(document, pointer('trigger'), 'rule-trigger', 'a `changed` trigger names its `field`');
      else requireField(ctx, document, at('field'), entity, trigger.field, 'rule-trigger');
      break;
    case 'transition':
      if (!workflow)
        ctx.report(document, at('on'), 'rule-trigger', `entity \`${entity.entity}\` has no workflow`);
      else {
        if (trigger.action && !workflow.transitions.some((t) => t.action === trigger.action))
          ctx.report(
            document,
            at('action'),
            'rule-trigger',
            `workflow \`${workflow.workflow}\` has no action \`${trigger.action}\``,
            {
              hint: didYouMean(
                trigger.action,
                workflow.transitions.map((t) => t.action),
              ),
            },
          );
        if (typeof trigger.to === 'string' && !(trigger.to in workflow.states))
          ctx.report(
            document,
            at('to'),
            'rule-trigger',
            `\`${trigger.to}\` is not a state of \`${workflow.workflow}\``,
          );
      }
      break;
    case 'event':
      if (!trigger.event)
        ctx.report(document, pointer('trigger'), 'rule-trigger', 'an `event` trigger names its `event`');
      break;
    case 'schedule':
      if (!trigger.cron)
        ctx.report(document, pointer('trigger'), 'rule-trigger', 'a `schedule` trigger needs `cron`');
      else
        try {
          new Cron(trigger.cron, { paused: true, timezone: 'UTC' }).stop();
        } catch (error) {
          ctx.report(
            document,
            at('cron'),
            'rule-trigger',
            `invalid cron expression: ${(error as Error).message}`,
          );
        }
      break;
    case 'timer': {
      if (!trigger.after)
        ctx.report(document, pointer('trigger'), 'rule-trigger', 'a `timer` trigger needs `after`');
      if (Boolean(trigger.since) === Boolean(trigger.state))
        ctx.report(
          document,
          pointer('trigger'),
          'rule-trigger',
          'a `timer` runs either `since` a time field or from entering a `state`',
        );
      if (trigger.since) {
        const field = entity.fields[trigger.since];
        const systemTime = trigger.since === 'created_at' || trigger.since === 'updated_at';
        if (!systemTime && field?.type !== 'date' && field?.type !== 'datetime')
          ctx.report(
            document,
            at('since'),
            'rule-trigger',
            `\`${trigger.since}\` is not a date or datetime field of \`${entity.entity}\``,
          );
      }
      if (trigger.state && (!workflow || !(trigger.state in workflow.states)))
        ctx.report(
          document,
          at('state'),
          'rule-trigger',
          `\`${trigger.state}\` is not a state of the workflow of \`${entity.entity}\``,
        );
      break;
    }
    default:
      break;
  }
}

function checkMeasures(
  ctx: SemanticContext,
  document: LoadedDocument,
  rule: RuleDef,
  entity: EntityDef,
): void {
  for (const [name, measure] of Object.entries(rule.measures ?? {})) {
    const at = (...keys: string[]) => pointer('measures', name, ...keys);
    const source = ctx.set.entities.get(measure.entity);
    if (!source) {
      ctx.report(document, at('entity'), 'rule-entity', `entity \`${measure.entity}\` does not exist`, {
        hint: didYouMean(measure.entity, [...ctx.set.entities.keys()]),
      });
      continue;
    }
    if (measure.where) checkExpression(ctx, document, at('where'), measure.where, source);
    if (measure.ratio) checkExpression(ctx, document, at('ratio'), measure.ratio, source);
    requireField(ctx, document, at('window', 'field'), source, measure.window.field, 'rule-field');
    for (const [theirs, ours] of Object.entries(measure.match ?? {})) {
      requireField(ctx, document, at('match', theirs), source, theirs, 'rule-field');
      requireField(ctx, document, at('match', theirs), entity, ours, 'rule-field');
    }
  }
}

function checkWorking(
  ctx: SemanticContext,
  document: LoadedDocument,
  rule: RuleDef,
  entity: EntityDef,
): void {
  for (const [name, working] of Object.entries(rule.working ?? {})) {
    const at = (...keys: string[]) => pointer('working', name, ...keys);
    if (rule.measures?.[name])
      ctx.report(document, at(), 'rule-field', `\`${name}\` is both a measure and a working-time check`);
    requireField(ctx, document, at('time'), entity, working.time, 'rule-field');
    const time = entity.fields[working.time];
    if (time && time.type !== 'date' && time.type !== 'datetime')
      ctx.report(document, at('time'), 'rule-field', `\`${working.time}\` must be a date or datetime field`);
    for (const part of ['calendar', 'timeZone'] as const) {
      const path = working[part];
      const problem = path === undefined ? null : calendarPathProblem(ctx.set, entity, path, part);
      if (problem) ctx.report(document, at(part), 'rule-field', problem.message, { hint: problem.hint });
    }
  }
}

/** Business rules: their entity, trigger, condition, measures and actions. */
export function checkBusinessRules(ctx: SemanticContext): void {
  for (const { document, def } of ctx.documentsOf('rule')) {
    const entity = ctx.set.entities.get(def.entity);
    if (!entity) {
      if (!ctx.isDeclared('entity', def.entity))
        ctx.report(document, pointer('entity'), 'rule-entity', `entity \`${def.entity}\` does not exist`, {
          hint: didYouMean(def.entity, [...ctx.set.entities.keys()]),
        });
      continue;
    }
    const measures = new Set([...Object.keys(def.measures ?? {}), ...Object.keys(def.working ?? {})]);
    checkTrigger(ctx, document, def, entity);
    checkMeasures(ctx, document, def, entity);
    checkWorking(ctx, document, def, entity);
    if (def.when) checkExpression(ctx, document, pointer('when'), def.when, entity, 0, measures);
    for (const index of def.actions.keys()) checkAction(ctx, document, def, entity, index, measures);
  }
}
