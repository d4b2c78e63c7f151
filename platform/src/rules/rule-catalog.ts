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

function pathsOf(def: RuleDef): string[][] {
  const paths = new Map<string, string[]>();
  const add = (path: string[]) => {
    if (path.length > 1 && !path[0]!.startsWith('$')) paths.set(path.join('.'), path);
  };
  for (const source of expressionsOf(def))
    for (const node of identifierNodes(parseExpression(source))) add(node.path);
  for (const working of Object.values(def.working ?? {})) {
    add(working.calendar.split('.'));
    if (working.timeZone) add(working.timeZone.split('.'));
  }
  for (const action of def.actions) {
    if ('notify' in action) for (const user of action.notify.users ?? []) add(user.split('.'));
    if ('alert' in action && action.alert.assignee) add(action.alert.assignee.split('.'));
    if ('alert' in action && action.alert.per) add(action.alert.per.split('.'));
    const text = 'notify' in action ? action.notify : 'alert' in action ? action.alert : null;
    if (text)
      for (const template of Object.values({ ...text.title, ...('body' in text ? text.body : {}) }))
        for (const match of String(template).matchAll(/\{([a-z0-9_.]+)\}/g)) add(match[1]!.split('.'));
  }
  return [...paths.values()];
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
    const rule: CompiledRule = {
      def,
      synchronous: isSynchronousRule(def),
      when: def.when ? parseExpression(def.when) : null,
      paths: pathsOf(def),
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
