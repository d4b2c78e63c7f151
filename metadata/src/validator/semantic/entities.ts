import { SYSTEM_COLUMNS } from '../../model/compile';
import type { RuleId } from '../../rules';
import type { LoadedDocument } from '../../loader';
import { pointer } from '../../loader';
import { EVALUATORS } from '../../evaluators';
import { didYouMean } from '../../suggest';
import type { EntityDef, FieldDef, ListViewDef, ScheduleViewDef } from '../../types';
import type { SemanticContext } from './context';
import {
  calendarPathProblem,
  enumValues,
  hasField,
  missingFieldMessage,
  resolveFieldPath,
} from './entity-paths';
import { checkExpression } from './expressions';

type Located = { document: LoadedDocument; def: EntityDef };

/** Reports `name` (at `path`) when it is not a field of `entity`. */
export function requireField(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  entity: EntityDef,
  name: string,
  rule: RuleId,
): void {
  if (hasField(entity, name)) return;
  const { message, hint } = missingFieldMessage(entity, name);
  ctx.report(document, path, rule, message, { hint });
}

/** Reports a dot path that does not lead through relations to a field. */
export function requireFieldPath(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  entity: EntityDef,
  fieldPath: string,
  rule: RuleId,
): void {
  const resolution = resolveFieldPath(ctx.set, entity, fieldPath);
  if (resolution.ok === false)
    ctx.report(document, path, rule, resolution.message, { hint: resolution.hint });
}

function checkTarget(
  ctx: SemanticContext,
  { document }: Located,
  name: string,
  field: FieldDef & { to: string },
): boolean {
  if (ctx.isDeclared('entity', field.to)) return ctx.set.entities.has(field.to);
  ctx.report(
    document,
    pointer('fields', name, 'to'),
    'relation-target',
    `${field.type} \`${name}\` points to unknown entity \`${field.to}\``,
    {
      hint: didYouMean(field.to, ctx.namesOf('entity')),
    },
  );
  return false;
}

/** The engine owns these columns and API names; a field reusing one would shadow it in SQL or in the API. */
function checkSystemColumn(ctx: SemanticContext, { document }: Located, name: string, field: FieldDef): void {
  const column = field.column ?? (field.type === 'relation' ? `${name}_id` : name);
  const byName = SYSTEM_COLUMNS.find((system) => system.column === name || system.apiName === name);
  const byColumn = SYSTEM_COLUMNS.find((system) => system.column === column);
  if (!byName && !byColumn) return;
  const message = byName
    ? `field \`${name}\` collides with the system column \`${byName.column}\` (API name \`${byName.apiName}\`)`
    : `field \`${name}\` is stored in column \`${column}\`, which is a system column`;
  ctx.report(document, pointer('fields', name), 'system-column', message, {
    hint: 'system columns are added to every entity by the engine; rename the field or give it another `column`',
  });
}

/** Sensitive values are stored as random-IV ciphertext: only text holds it, and it can't be compared. */
function checkSensitive(ctx: SemanticContext, { document }: Located, name: string, field: FieldDef): void {
  if (!('sensitive' in field) || !field.sensitive) return;
  const at = (key: string): string => pointer('fields', name, key);
  if (field.type !== 'string' && field.type !== 'text')
    ctx.report(
      document,
      at('sensitive'),
      'sensitive-field',
      `sensitive field \`${name}\` is of type ${field.type}; only string and text fields can hold ciphertext`,
    );
  if ('unique' in field && field.unique)
    ctx.report(
      document,
      at('unique'),
      'sensitive-field',
      `sensitive field \`${name}\` cannot be unique: its ciphertext differs for equal values`,
    );
  if ('index' in field && field.index)
    ctx.report(
      document,
      at('index'),
      'sensitive-field',
      `sensitive field \`${name}\` cannot be indexed: its ciphertext is not comparable`,
    );
}

/** List filters, search and sorts compare values, which sensitive (encrypted) fields don't allow. */
function refuseSensitive(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  def: EntityDef,
  name: string,
): void {
  const field = def.fields[name] as FieldDef | undefined;
  if (field && 'sensitive' in field && field.sensitive)
    ctx.report(
      document,
      path,
      'sensitive-field',
      `sensitive field \`${name}\` cannot be filtered, searched or sorted on: it is stored encrypted`,
    );
}

function checkField(ctx: SemanticContext, located: Located, name: string, field: FieldDef): void {
  const { document, def } = located;
  const at = (...segments: string[]): string => pointer('fields', name, ...segments);
  checkSystemColumn(ctx, located, name, field);
  checkSensitive(ctx, located, name, field);
  if (field.type === 'relation' && checkTarget(ctx, located, name, field) && field.display) {
    const target = ctx.set.entities.get(field.to) as EntityDef;
    requireField(ctx, document, at('display'), target, field.display, 'relation-display');
  }
  if (field.type === 'many') checkTarget(ctx, located, name, field);
  if (field.type === 'children' && checkTarget(ctx, located, name, field)) {
    const child = ctx.set.entities.get(field.to) as EntityDef;
    const back = child.fields[field.foreignKey] as FieldDef | undefined;
    if (!back) {
      const { message, hint } = missingFieldMessage(child, field.foreignKey);
      ctx.report(document, at('foreignKey'), 'children-foreign-key', message, { hint });
    } else if (back.type !== 'relation' || back.to !== def.entity) {
      ctx.report(
        document,
        at('foreignKey'),
        'children-foreign-key',
        `\`${child.entity}.${field.foreignKey}\` must be a relation to \`${def.entity}\``,
      );
    }
    if (field.orderBy)
      requireField(ctx, document, at('orderBy'), child, field.orderBy.replace(/^-/, ''), 'children-order');
  }
  if (
    field.type === 'enum' &&
    typeof field.default === 'string' &&
    !enumValues(field).includes(field.default)
  ) {
    ctx.report(
      document,
      at('default'),
      'field-default',
      `default \`${field.default}\` is not one of the enum values`,
      {
        hint: didYouMean(field.default, enumValues(field)),
      },
    );
  }
  if (field.visibleWhen) checkExpression(ctx, document, at('visibleWhen'), field.visibleWhen, def);
  if (field.requiredWhen) checkExpression(ctx, document, at('requiredWhen'), field.requiredWhen, def);
  if (field.readonlyWhen) checkExpression(ctx, document, at('readonlyWhen'), field.readonlyWhen, def);
  if (field.type === 'computed') checkExpression(ctx, document, at('expression'), field.expression, def);
}

function checkView(
  ctx: SemanticContext,
  { document, def }: Located,
  base: string[],
  view: ListViewDef,
): void {
  const at = (...segments: (string | number)[]): string => pointer(...base, ...segments);
  view.columns.forEach((column, i) =>
    requireFieldPath(ctx, document, at('columns', i), def, column, 'view-field'),
  );
  (view.filters ?? []).forEach((filter, i) => {
    requireFieldPath(ctx, document, at('filters', i), def, filter, 'view-field');
    refuseSensitive(ctx, document, at('filters', i), def, filter);
  });
  (view.search ?? []).forEach((field, i) => {
    requireField(ctx, document, at('search', i), def, field, 'view-field');
    refuseSensitive(ctx, document, at('search', i), def, field);
  });
  if (view.kanban !== undefined) {
    requireField(ctx, document, at('kanban'), def, view.kanban, 'view-field');
    const field = def.fields[view.kanban];
    if (field && field.type !== 'enum')
      ctx.report(
        document,
        at('kanban'),
        'view-field',
        `kanban field \`${view.kanban}\` must be an enum, not ${field.type}`,
      );
  }
  if (view.schedule) checkSchedule(ctx, document, def, [...base, 'schedule'], view.schedule);
  const sorts =
    view.defaultSort === undefined
      ? []
      : Array.isArray(view.defaultSort)
        ? view.defaultSort
        : [view.defaultSort];
  sorts.forEach((sort, i) => {
    const path = Array.isArray(view.defaultSort) ? at('defaultSort', i) : at('defaultSort');
    requireFieldPath(ctx, document, path, def, sort.replace(/^-/, ''), 'view-field');
    refuseSensitive(ctx, document, path, def, sort.replace(/^-/, ''));
  });
}

/** Which field types each part of a schedule takes: bars are placed by dates, rows are values. */
const SCHEDULE_TYPES: Record<'start' | 'end' | 'lane', readonly string[]> = {
  start: ['date', 'datetime'],
  end: ['date', 'datetime'],
  lane: ['relation', 'enum'],
};

function checkSchedule(
  ctx: SemanticContext,
  document: LoadedDocument,
  def: EntityDef,
  base: string[],
  schedule: ScheduleViewDef,
): void {
  for (const part of ['calendar', 'timeZone'] as const) {
    const name = schedule[part];
    if (name === undefined) continue;
    const path = pointer(...base, part);
    if (!schedule.lane || name.split('.')[0] !== schedule.lane || !name.includes('.')) {
      ctx.report(
        document,
        path,
        'view-field',
        `schedule ${part} \`${name}\` must be a path through the lane field`,
      );
      continue;
    }
    const problem = calendarPathProblem(ctx.set, def, name, part);
    if (problem) ctx.report(document, path, 'view-field', problem.message, { hint: problem.hint });
  }
  for (const part of ['start', 'end', 'lane'] as const) {
    const name = schedule[part];
    if (name === undefined) continue;
    const path = pointer(...base, part);
    requireField(ctx, document, path, def, name, 'view-field');
    const field = def.fields[name];
    if (field && !SCHEDULE_TYPES[part].includes(field.type))
      ctx.report(
        document,
        path,
        'view-field',
        `schedule ${part} field \`${name}\` must be ${SCHEDULE_TYPES[part].join(' or ')}, not ${field.type}`,
      );
  }
}

function checkReferences(ctx: SemanticContext, { document, def }: Located): void {
  requireField(ctx, document, pointer('display'), def, def.display, 'display-field');
  if (def.businessKey)
    requireField(ctx, document, pointer('businessKey'), def, def.businessKey, 'business-key');
  (def.indexes ?? []).forEach((index, i) =>
    index.fields.forEach((field, j) =>
      requireField(ctx, document, pointer('indexes', i, 'fields', j), def, field, 'index-field'),
    ),
  );
  if (def.form) {
    const form = ctx.set.forms.get(def.form);
    if (!ctx.isDeclared('form', def.form)) {
      ctx.report(document, pointer('form'), 'entity-form', `form \`${def.form}\` does not exist`, {
        hint: didYouMean(def.form, ctx.namesOf('form')),
      });
    } else if (form && form.entity !== def.entity) {
      ctx.report(
        document,
        pointer('form'),
        'entity-form',
        `form \`${def.form}\` edits \`${form.entity}\`, not \`${def.entity}\``,
      );
    }
  }
  if (def.workflow) {
    const workflow = ctx.set.workflows.get(def.workflow);
    if (!ctx.isDeclared('workflow', def.workflow)) {
      ctx.report(
        document,
        pointer('workflow'),
        'entity-workflow',
        `workflow \`${def.workflow}\` does not exist`,
        {
          hint: didYouMean(def.workflow, ctx.namesOf('workflow')),
        },
      );
    } else if (workflow && workflow.entity !== def.entity) {
      ctx.report(
        document,
        pointer('workflow'),
        'entity-workflow',
        `workflow \`${def.workflow}\` drives \`${workflow.entity}\`, not \`${def.entity}\``,
      );
    }
  }
}

/** The fields the entity's evaluator reads, and the relation back from the entity it writes. */
function checkEvaluator(ctx: SemanticContext, { document, def }: Located): void {
  if (!def.evaluatedBy) return;
  const contract = EVALUATORS[def.evaluatedBy];
  const where = pointer('evaluatedBy');
  for (const [name, types] of Object.entries(contract.fields)) {
    const field = def.fields[name];
    if (!field)
      ctx.report(
        document,
        where,
        'entity-evaluator',
        `evaluator \`${def.evaluatedBy}\` reads field \`${name}\`, which \`${def.entity}\` does not have`,
        { hint: `declare \`${name}\` (${types.join(' or ')})` },
      );
    else if (!types.includes(field.type))
      ctx.report(
        document,
        pointer('fields', name, 'type'),
        'entity-evaluator',
        `evaluator \`${def.evaluatedBy}\` reads \`${name}\` as ${types.join(' or ')}, not ${field.type}`,
      );
  }
  const written = ctx.set.entities.get(contract.writes);
  const linked = Object.values(written?.fields ?? {}).some(
    (field) => field.type === 'relation' && field.to === def.entity,
  );
  if (!linked)
    ctx.report(
      document,
      where,
      'entity-evaluator',
      `evaluator \`${def.evaluatedBy}\` writes \`${contract.writes}\`, which needs a relation to \`${def.entity}\``,
    );
}

const RECURRENCE_TYPES = {
  cron: ['string'],
  timezone: ['string'],
  nextRun: ['datetime'],
  handler: ['string'],
} as const;

/** The fields a recurring entity names exist and have the types the engine reads and writes. */
function checkRecurrence(ctx: SemanticContext, { document, def }: Located): void {
  const recurrence = def.recurrence;
  if (!recurrence) return;
  for (const part of ['cron', 'timezone', 'nextRun', 'handler'] as const) {
    const name = recurrence[part];
    if (name === undefined) continue;
    const path = pointer('recurrence', part);
    requireField(ctx, document, path, def, name, 'entity-recurrence');
    const field = def.fields[name];
    const types: readonly string[] = RECURRENCE_TYPES[part];
    if (field && !types.includes(field.type))
      ctx.report(
        document,
        path,
        'entity-recurrence',
        `recurrence ${part} field \`${name}\` must be ${types.join(' or ')}, not ${field.type}`,
      );
  }
  const active = recurrence.active;
  if (!active) return;
  requireField(
    ctx,
    document,
    pointer('recurrence', 'active', 'field'),
    def,
    active.field,
    'entity-recurrence',
  );
  const field = def.fields[active.field];
  if (!field) return;
  if (field.type !== 'enum') {
    ctx.report(
      document,
      pointer('recurrence', 'active', 'field'),
      'entity-recurrence',
      `recurrence active field \`${active.field}\` must be enum, not ${field.type}`,
    );
    return;
  }
  const values = enumValues(field);
  active.values.forEach((value, index) => {
    if (!values.includes(value))
      ctx.report(
        document,
        pointer('recurrence', 'active', 'values', index),
        'entity-recurrence',
        `\`${value}\` is not a value of \`${active.field}\` (${values.join(', ')})`,
        { hint: didYouMean(value, values) },
      );
  });
}

/** Relations, children, display fields, indexes, views, form/workflow references and field expressions. */
export function checkEntities(ctx: SemanticContext): void {
  for (const located of ctx.documentsOf('entity')) {
    for (const [name, field] of Object.entries(located.def.fields)) checkField(ctx, located, name, field);
    checkReferences(ctx, located);
    checkEvaluator(ctx, located);
    checkRecurrence(ctx, located);
    if (located.def.list) checkView(ctx, located, ['list'], located.def.list);
    for (const [name, view] of Object.entries(located.def.views ?? {}))
      checkView(ctx, located, ['views', name], view);
  }
}
