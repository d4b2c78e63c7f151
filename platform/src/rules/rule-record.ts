/**
 * The record as a rule reads it: metadata field names, `id`, and for every relation the rule reads
 * through (`department.manager`) the related row, loaded in the rule's transaction in the record's
 * tenant (it still compares as its id). Also the values rules write and the texts they fill in.
 */
import { evaluate, evaluateCondition, type ExpressionNode } from '../../../metadata/src/expression';
import { parseExpression } from '../../../metadata/src/expression';
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { FieldUpdateValue, I18nText } from '../../../metadata/src/types';
import { serializeRow } from '../crud/serializer';
import type { EntityRecord } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import { RowStore } from '../data/row-store';
import { runtimeOf } from '../kernel/model-runtime';

export type RuleRecord = Record<string, unknown>;

/** API-shaped record → metadata names (relations by field name → id), `id` kept. */
export function toMetadata(entity: CompiledEntity, record: EntityRecord): RuleRecord {
  const values: RuleRecord = {};
  if ('id' in record) values.id = record.id;
  for (const system of ['createdAt', 'updatedAt', 'createdBy', 'updatedBy'] as const)
    if (system in record) values[system.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = record[system];
  for (const field of entity.fields) {
    const property = apiPropertyOf(field);
    if (property in record) values[field.name] = record[property];
  }
  return values;
}

/** Metadata names → the API properties EntityService takes. */
export function toApi(entity: CompiledEntity, values: RuleRecord): EntityRecord {
  const record: EntityRecord = {};
  for (const [name, value] of Object.entries(values)) {
    const field = entity.fieldsByName.get(name);
    record[field ? apiPropertyOf(field) : name] = value;
  }
  return record;
}

/** Loads the related rows of the dot paths, hop by hop, into the record (in place). */
export async function readThrough(
  tx: SqlExecutor,
  model: Model,
  tenantId: string,
  entity: CompiledEntity,
  record: RuleRecord,
  paths: readonly (readonly string[])[],
): Promise<RuleRecord> {
  const store = new RowStore(tenantId);
  const heads = new Map<string, string[][]>();
  for (const path of paths)
    if (path.length > 1) heads.set(path[0]!, [...(heads.get(path[0]!) ?? []), path.slice(1)]);
  for (const [head, rest] of heads) {
    const field = entity.fieldsByName.get(head);
    const target = field?.relation ? model.entities.get(field.relation.target) : undefined;
    const id = record[head];
    if (!target || (typeof id !== 'number' && typeof id !== 'string')) continue;
    const [row] = await store.byIds(tx, target, [Number(id)], true);
    if (!row) continue;
    const related = toMetadata(target, serializeRow(runtimeOf(model).entity(target.name), row, tenantId));
    record[head] = await readThrough(tx, model, tenantId, target, related, rest);
  }
  return record;
}

/** A relation value read through (`{ id, … }`) back to its id; other values unchanged. */
function plain(value: unknown): unknown {
  if (value && typeof value === 'object' && !(value instanceof Date) && 'id' in value)
    return (value as { id: unknown }).id;
  return value instanceof Date ? value.toISOString() : value;
}

export interface ValueContext {
  record: RuleRecord;
  actorId: string | null;
  now: Date;
}

/** A literal, `$now`, `$today`, `$user` or `=<expression>` on the record. */
export function resolveValue(value: FieldUpdateValue, context: ValueContext): unknown {
  if (typeof value !== 'string') return value;
  if (value === '$now') return context.now.toISOString();
  if (value === '$today') return context.now.toISOString().slice(0, 10);
  if (value === '$user') return context.actorId === null ? null : Number(context.actorId) || context.actorId;
  if (value.startsWith('=')) return plain(evaluate(parseExpression(value.slice(1)), context.record));
  return value;
}

export function resolveValues(values: Record<string, FieldUpdateValue>, context: ValueContext): RuleRecord {
  return Object.fromEntries(
    Object.entries(values).map(([field, value]) => [field, resolveValue(value, context)]),
  );
}

export function holds(condition: ExpressionNode | null, record: RuleRecord): boolean {
  return condition === null || evaluateCondition(condition, record);
}

/** Fills `{field.path}` placeholders from the record, in both languages. */
export function fillTemplate(text: I18nText, record: RuleRecord): I18nText {
  const fill = (template: string) =>
    template.replace(/\{([a-z0-9_.]+)\}/g, (_match, path: string) => {
      let current: unknown = record;
      for (const segment of path.split('.')) {
        if (current === null || typeof current !== 'object') return '';
        current = (current as RuleRecord)[segment];
      }
      const value = plain(current);
      return value === null || value === undefined ? '' : String(value);
    });
  return { en: fill(text.en), zh: fill(text.zh) };
}
