/**
 * The record as a rule reads it: metadata field names, `id`, and for every relation the rule reads
 * through (`department.manager`) the related row, loaded in the rule's transaction in the record's
 * tenant (it still compares as its id). Also the values rules write and the texts they fill in.
 */
import { evaluate, evaluateCondition, type ExpressionNode } from '../../../metadata/src/expression';
import { parsedExpression } from '../../../metadata/src/expression';
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { FieldUpdateValue, I18nText } from '../../../metadata/src/types';
import { serializeRow } from '../crud/serializer';
import type { EntityRecord } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import { RowStore, type RelatedHop } from '../data/row-store';
import { runtimeOf } from '../kernel/model-runtime';

export type RuleRecord = Record<string, unknown>;

/** Per entity, each API property a rule reads with its metadata name: `id`, the audit columns, the fields. */
const metadataNames = new WeakMap<CompiledEntity, readonly (readonly [string, string])[]>();

function metadataNamesOf(entity: CompiledEntity): readonly (readonly [string, string])[] {
  let names = metadataNames.get(entity);
  if (!names) {
    names = [
      ['id', 'id'],
      ['createdAt', 'created_at'],
      ['updatedAt', 'updated_at'],
      ['createdBy', 'created_by'],
      ['updatedBy', 'updated_by'],
      ...entity.fields.map((field) => [apiPropertyOf(field), field.name] as const),
    ];
    metadataNames.set(entity, names);
  }
  return names;
}

/** API-shaped record → metadata names (relations by field name → id), `id` kept. */
export function toMetadata(entity: CompiledEntity, record: EntityRecord): RuleRecord {
  const values: RuleRecord = {};
  for (const [property, name] of metadataNamesOf(entity))
    if (property in record) values[name] = record[property];
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

/** A relation a dot path follows from a record, with the relations read through below it. */
interface PathNode {
  head: string;
  target: CompiledEntity;
  /** The relation's column on the row it hangs from (for the hops below the first). */
  column: string;
  /** The fields of the target the paths end on. */
  values: string[];
  below: PathNode[];
}

/** The trees of `pathTree` per list of paths (a rule's, for its Model's lifetime) and entity. */
const pathTrees = new WeakMap<readonly (readonly string[])[], WeakMap<CompiledEntity, PathNode[]>>();

/** `pathTree` of a rule's paths, built once. */
function pathTreeOf(model: Model, entity: CompiledEntity, paths: readonly (readonly string[])[]): PathNode[] {
  const byEntity = pathTrees.get(paths) ?? new WeakMap<CompiledEntity, PathNode[]>();
  pathTrees.set(paths, byEntity);
  let tree = byEntity.get(entity);
  if (!tree) {
    tree = pathTree(model, entity, paths);
    byEntity.set(entity, tree);
  }
  return tree;
}

/** The relations of `entity` the dot paths follow, as a tree (segments that end a path are values). */
function pathTree(model: Model, entity: CompiledEntity, paths: readonly (readonly string[])[]): PathNode[] {
  const heads = new Map<string, (readonly string[])[]>();
  for (const path of paths)
    if (path.length > 1) heads.set(path[0]!, [...(heads.get(path[0]!) ?? []), path.slice(1)]);
  const nodes: PathNode[] = [];
  for (const [head, rest] of heads) {
    const field = entity.fieldsByName.get(head);
    const target = field?.relation ? model.entities.get(field.relation.target) : undefined;
    if (!field?.column || !target) continue;
    nodes.push({
      head,
      target,
      column: field.column,
      values: rest.flatMap((path) => (path.length === 1 ? [path[0]!] : [])),
      below: pathTree(model, target, rest),
    });
  }
  return nodes;
}

/**
 * The columns of a node's row the paths need: its id, the columns they end on and the relations
 * they follow further; null (the whole row) when they end on a value not stored in a column.
 */
function columnsOf(node: PathNode): string[] | null {
  const columns = new Set(['id']);
  for (const name of node.values) {
    if (name === 'id') continue;
    const field = node.target.fieldsByName.get(name);
    if (field?.storage !== 'column' || !field.column) return null;
    columns.add(field.column);
  }
  for (const child of node.below) columns.add(child.column);
  return [...columns];
}

/**
 * Loads the related rows of the dot paths into the record (in place): per relation of the record,
 * one statement reads its row and the rows every deeper hop leads to (`line.plant.calendar`: the
 * line and its plant), in the record's tenant. `onlyPaths`: each related row holds only what the
 * paths read (its id, the values they end on, the relations they follow), for a caller that reads
 * nothing else of them; otherwise the whole rows.
 */
export async function readThrough(
  tx: SqlExecutor,
  model: Model,
  tenantId: string,
  entity: CompiledEntity,
  record: RuleRecord,
  paths: readonly (readonly string[])[],
  onlyPaths = false,
): Promise<RuleRecord> {
  const store = new RowStore(tenantId);
  for (const node of pathTreeOf(model, entity, paths)) {
    const id = record[node.head];
    if (typeof id !== 'number' && typeof id !== 'string') continue;
    const hops: RelatedHop[] = [];
    const order: PathNode[] = [];
    const flatten = (below: readonly PathNode[], parent: number) => {
      for (const child of below) {
        const columns = onlyPaths ? columnsOf(child) : null;
        hops.push({ entity: child.target, column: child.column, parent, columns });
        order.push(child);
        flatten(child.below, hops.length - 1);
      }
    };
    flatten(node.below, -1);
    const columns = onlyPaths ? columnsOf(node) : null;
    const rows = await store.rowWithRelated(tx, node.target, Number(id), hops, columns);
    if (!rows) continue;
    const nodes = [node, ...order];
    const records = new Map<PathNode, RuleRecord>();
    rows.forEach((row, i) => {
      const at = nodes[i]!;
      if (row)
        records.set(
          at,
          toMetadata(at.target, serializeRow(runtimeOf(model).entity(at.target.name), row, tenantId)),
        );
    });
    // Deepest first: each related row replaces the id in the row above it.
    for (let i = nodes.length - 1; i >= 0; i--) {
      const at = nodes[i]!;
      const related = records.get(at);
      if (!related) continue;
      for (const child of at.below) {
        const below = records.get(child);
        if (below) related[child.head] = below;
      }
    }
    const related = records.get(node);
    if (related) record[node.head] = related;
  }
  return record;
}

/**
 * The live row `id` of the tenant as a rule reads it, of only the `columns` it reads (metadata
 * names); null when there is no such row.
 */
export async function readColumns(
  tx: SqlExecutor,
  model: Model,
  tenantId: string,
  entity: CompiledEntity,
  id: number,
  columns: readonly string[],
): Promise<RuleRecord | null> {
  const rows = await new RowStore(tenantId).rowWithRelated(tx, entity, id, [], columns);
  const row = rows?.[0];
  return row ? toMetadata(entity, serializeRow(runtimeOf(model).entity(entity.name), row, tenantId)) : null;
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
  if (value.startsWith('=')) return plain(evaluate(parsedExpression(value.slice(1)), context.record));
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
