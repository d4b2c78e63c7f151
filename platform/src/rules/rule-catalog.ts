/**
 * The rules of a Model, compiled once per Model version: parsed conditions, which rules run inside
 * the write and which after commit, indexed by entity, event and schedule.
 */
import { identifierNodes, parseExpression, type ExpressionNode } from '../../../metadata/src/expression';
import type { Model } from '../../../metadata/src/model';
import { isSynchronousRule } from '../../../metadata/src/model/rules';
import type { DurationDef, FieldUpdateValue, RuleDef } from '../../../metadata/src/types';

export interface CompiledRule {
  def: RuleDef;
  synchronous: boolean;
  when: ExpressionNode | null;
  /** Dot paths (`department.manager`) the rule reads through relations of its record. */
  paths: string[][];
  /**
   * The columns of its record's row the rule reads (`id`, the fields its expressions, texts and
   * actions name, the relations it reads through or acts on): a run reads only those. Null when it
   * needs the whole record (a webhook sends it; a field not stored in a column of the row).
   */
  columns: string[] | null;
}

export interface RuleCatalog {
  byName: ReadonlyMap<string, CompiledRule>;
  /** Record-triggered and timer rules by entity. */
  byEntity: ReadonlyMap<string, readonly CompiledRule[]>;
  byEvent: ReadonlyMap<string, readonly CompiledRule[]>;
  schedules: readonly CompiledRule[];
}

const catalogs = new WeakMap<Model, RuleCatalog>();

export function durationMs(duration: DurationDef): number {
  return ((duration.days ?? 0) * 24 * 60 + (duration.hours ?? 0) * 60 + (duration.minutes ?? 0)) * 60_000;
}

function expressionsOf(def: RuleDef): string[] {
  const sources: string[] = def.when ? [def.when] : [];
  const values = (record: Record<string, FieldUpdateValue>) =>
    Object.values(record)
      .filter((v): v is string => typeof v === 'string' && v.startsWith('='))
      .map((v) => v.slice(1));
  for (const action of def.actions) {
    if ('set' in action) sources.push(...values(action.set));
    if ('create' in action) sources.push(...values(action.values ?? {}));
    if ('alert' in action && action.alert.value) sources.push(action.alert.value);
  }
  return sources;
}

/** Every path of its record the rule reads (`severity`, `department.manager`), `$` values aside. */
function referencesOf(def: RuleDef): string[][] {
  const paths = new Map<string, string[]>();
  const add = (path: string[]) => {
    if (!path[0]!.startsWith('$')) paths.set(path.join('.'), path);
  };
  for (const source of expressionsOf(def))
    for (const node of identifierNodes(parseExpression(source))) add(node.path);
  for (const working of Object.values(def.working ?? {})) {
    add(working.time.split('.'));
    add(working.calendar.split('.'));
    if (working.timeZone) add(working.timeZone.split('.'));
  }
  for (const action of def.actions) {
    if ('notify' in action) for (const user of action.notify.users ?? []) add(user.split('.'));
    if ('alert' in action && action.alert.assignee) add(action.alert.assignee.split('.'));
    if ('alert' in action && action.alert.per) add(action.alert.per.split('.'));
    const text = 'notify' in action ? action.notify : 'alert' in action ? action.alert : null;
    if (text)
      for (const template of [
        ...Object.values(text.title),
        ...Object.values(('body' in text ? text.body : undefined) ?? {}),
      ])
        for (const match of String(template).matchAll(/\{([a-z0-9_.]+)\}/g)) add(match[1]!.split('.'));
  }
  for (const measure of Object.values(def.measures ?? {}))
    for (const ours of Object.values(measure.match ?? {})) add([ours]);
  for (const action of def.actions)
    if (('set' in action || 'transition' in action) && action.record) add([action.record]);
  return [...paths.values()];
}

function columnsOf(model: Model, def: RuleDef, references: readonly string[][]): string[] | null {
  const entity = model.entities.get(def.entity);
  if (!entity || def.actions.some((action) => 'webhook' in action)) return null;
  const columns = new Set(['id']);
  const system = new Set(entity.systemColumns.map((column) => column.column));
  for (const [name] of references) {
    const field = entity.fieldsByName.get(name!);
    if (field && (field.storage !== 'column' || !field.column)) return null;
    if (field) columns.add(field.column!);
    else if (system.has(name!)) columns.add(name!);
    // Other names are the rule's measures and working values, not fields of the record.
  }
  return [...columns];
}

export function ruleCatalog(model: Model): RuleCatalog {
  const cached = catalogs.get(model);
  if (cached) return cached;
  const byName = new Map<string, CompiledRule>();
  const byEntity = new Map<string, CompiledRule[]>();
  const byEvent = new Map<string, CompiledRule[]>();
  const schedules: CompiledRule[] = [];
  for (const def of model.rules?.values() ?? []) {
    if (def.enabled === false) continue;
    const references = referencesOf(def);
    const rule: CompiledRule = {
      def,
      synchronous: isSynchronousRule(def),
      when: def.when ? parseExpression(def.when) : null,
      paths: references.filter((path) => path.length > 1),
      columns: columnsOf(model, def, references),
    };
    byName.set(def.rule, rule);
    if (def.trigger.on === 'schedule') schedules.push(rule);
    else if (def.trigger.on === 'event')
      byEvent.set(def.trigger.event, [...(byEvent.get(def.trigger.event) ?? []), rule]);
    else byEntity.set(def.entity, [...(byEntity.get(def.entity) ?? []), rule]);
  }
  const catalog = { byName, byEntity, byEvent, schedules };
  catalogs.set(model, catalog);
  return catalog;
}
