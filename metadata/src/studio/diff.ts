/**
 * What publishing a studio layer changes: the schema steps (destructive ones flagged), the API
 * (entity paths and their fields) and the documents. Pure: computed from snapshots, Models and layers.
 */
import type { Model } from '../model';
import type { SchemaChange } from '../model/schema-diff';
import type { SchemaSnapshot, SnapshotTable } from '../model/snapshot';
import { documentKey, type StudioLayer } from './layer';

export interface SchemaStep {
  kind: SchemaChange['kind'];
  table: string;
  /** The column, index or foreign key the step concerns; absent for table steps. */
  name?: string;
  /** Data is lost (a table or column dropped) or may be (a column altered). */
  destructive: boolean;
}

export interface ApiChange {
  entity: string;
  path: string;
  addedFields: string[];
  removedFields: string[];
}

export interface ApiDiff {
  /** Entity paths that appear (`/api/engineering-problems`). */
  added: string[];
  removed: string[];
  changed: ApiChange[];
}

export interface DocumentDiff {
  /** `kind:name` of documents added, changed and removed by the layer change. */
  added: string[];
  changed: string[];
  removed: string[];
}

const DESTRUCTIVE: ReadonlySet<SchemaChange['kind']> = new Set(['dropTable', 'dropColumn', 'alterColumn']);

export function schemaSteps(changes: readonly SchemaChange[]): SchemaStep[] {
  return changes.map((change) => {
    const destructive = DESTRUCTIVE.has(change.kind);
    switch (change.kind) {
      case 'createTable':
      case 'dropTable':
        return { kind: change.kind, table: change.table.name, destructive };
      case 'renameTable':
        return { kind: change.kind, table: change.to, name: change.from, destructive };
      case 'addColumn':
      case 'dropColumn':
        return { kind: change.kind, table: change.table, name: change.column.name, destructive };
      case 'alterColumn':
        return { kind: change.kind, table: change.table, name: change.to.name, destructive };
      case 'renameColumn':
        return { kind: change.kind, table: change.table, name: `${change.from} → ${change.to}`, destructive };
      case 'createIndex':
      case 'dropIndex':
        return { kind: change.kind, table: change.table, name: change.index.name, destructive };
      case 'createForeignKey':
      case 'dropForeignKey':
        return { kind: change.kind, table: change.table, name: change.foreignKey.name, destructive };
    }
  });
}

/**
 * The schema a publish without destructive steps leads to: `next`, plus every table and column of
 * `current` that `next` no longer has. Kept columns become nullable, so rows written without them
 * still insert. Publishing towards this snapshot never drops anything (rollback keeps the data).
 */
export function retainingSnapshot(current: SchemaSnapshot, next: SchemaSnapshot): SchemaSnapshot {
  const tables: Record<string, SnapshotTable> = { ...next.tables };
  const renamed = new Set(Object.values(next.tables).flatMap((t) => (t.renamedFrom ? [t.renamedFrom] : [])));
  for (const [name, table] of Object.entries(current.tables)) {
    const wanted = tables[name];
    if (!wanted) {
      if (!renamed.has(name)) tables[name] = { ...table, columns: table.columns.map(nullable) };
      continue;
    }
    const present = new Set(
      wanted.columns.flatMap((c) => (c.renamedFrom ? [c.name, c.renamedFrom] : [c.name])),
    );
    const kept = table.columns.filter((c) => !present.has(c.name)).map(nullable);
    if (kept.length > 0) tables[name] = { ...wanted, columns: [...wanted.columns, ...kept] };
  }
  return { ...next, tables };
}

function nullable<T extends { nullable: boolean; generated?: boolean; name: string }>(column: T): T {
  return column.generated || column.name === 'id' || column.name === 'tenant_id'
    ? column
    : { ...column, nullable: true };
}

/** Entities and API fields `next` adds or removes compared with `previous`. */
export function apiDiff(previous: Model, next: Model): ApiDiff {
  const diff: ApiDiff = { added: [], removed: [], changed: [] };
  for (const entity of next.entities.values()) {
    if (entity.owned) continue;
    const before = previous.entities.get(entity.name);
    if (!before) {
      diff.added.push(`/api/${entity.path}`);
      continue;
    }
    const had = new Set(before.fields.map((f) => f.apiName));
    const has = new Set(entity.fields.map((f) => f.apiName));
    const addedFields = [...has].filter((f) => !had.has(f));
    const removedFields = [...had].filter((f) => !has.has(f));
    if (addedFields.length > 0 || removedFields.length > 0)
      diff.changed.push({ entity: entity.name, path: `/api/${entity.path}`, addedFields, removedFields });
  }
  for (const entity of previous.entities.values())
    if (!entity.owned && !next.entities.has(entity.name)) diff.removed.push(`/api/${entity.path}`);
  return diff;
}

/** Documents (and grants, as `grant:<role>`) the layer change adds, changes or removes. */
export function documentDiff(previous: StudioLayer, next: StudioLayer): DocumentDiff {
  const index = (layer: StudioLayer) => {
    const map = new Map<string, string>();
    for (const document of layer.documents) {
      const key = documentKey(document);
      if (key) map.set(`${key.kind}:${key.name}`, JSON.stringify(document));
    }
    for (const [role, codes] of Object.entries(layer.grants))
      map.set(`grant:${role}`, JSON.stringify([...codes].sort()));
    return map;
  };
  const before = index(previous);
  const after = index(next);
  return {
    added: [...after.keys()].filter((k) => !before.has(k)),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
  };
}
