/**
 * Differences between two schema snapshots as an ordered list of changes a migration applies.
 * Every change knows its inverse, so `down` is the inverted list in reverse order.
 */
import type {
  SchemaSnapshot,
  SnapshotColumn,
  SnapshotForeignKey,
  SnapshotIndex,
  SnapshotTable,
} from './snapshot';

export type SchemaChange =
  | { kind: 'createTable'; table: SnapshotTable }
  | { kind: 'dropTable'; table: SnapshotTable }
  | { kind: 'renameTable'; from: string; to: string }
  | { kind: 'addColumn'; table: string; column: SnapshotColumn }
  | { kind: 'dropColumn'; table: string; column: SnapshotColumn }
  | { kind: 'renameColumn'; table: string; from: string; to: string }
  | { kind: 'alterColumn'; table: string; from: SnapshotColumn; to: SnapshotColumn }
  | { kind: 'createIndex'; table: string; index: SnapshotIndex }
  | { kind: 'dropIndex'; table: string; index: SnapshotIndex }
  | { kind: 'createForeignKey'; table: string; foreignKey: SnapshotForeignKey }
  | { kind: 'dropForeignKey'; table: string; foreignKey: SnapshotForeignKey };

export type SchemaChangeKind = SchemaChange['kind'];

export interface DiffOptions {
  /** Allow dropping tables and columns (their data is lost). */
  allowDestructive?: boolean;
}

/** The diff would drop data; nothing is generated unless destructive changes are allowed. */
export class DestructiveChangeError extends Error {
  constructor(readonly drops: string[]) {
    super(
      `These changes drop data and need --allow-destructive (or declare renamedFrom to keep it):\n` +
        drops.map((d) => `  - ${d}`).join('\n'),
    );
    this.name = 'DestructiveChangeError';
  }
}

/**
 * Phases in execution order: constraints that go away are dropped before columns change under
 * them, tables are created before the foreign keys that point at them.
 */
const PHASES: readonly SchemaChangeKind[] = [
  'dropForeignKey',
  'dropIndex',
  'renameTable',
  'renameColumn',
  'createTable',
  'addColumn',
  'alterColumn',
  'dropColumn',
  'dropTable',
  'createIndex',
  'createForeignKey',
];

export function diffSnapshots(
  prev: SchemaSnapshot,
  next: SchemaSnapshot,
  options: DiffOptions = {},
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const tableRenames = new Map<string, string>();
  const matched = new Set<string>();
  const created: SnapshotTable[] = [];

  for (const table of Object.values(next.tables)) {
    const renamedFrom = table.renamedFrom;
    if (prev.tables[table.name]) {
      matched.add(table.name);
      diffTable(prev.tables[table.name], table, tableRenames, changes);
    } else if (renamedFrom && prev.tables[renamedFrom] && !next.tables[renamedFrom]) {
      matched.add(renamedFrom);
      tableRenames.set(renamedFrom, table.name);
      changes.push({ kind: 'renameTable', from: renamedFrom, to: table.name });
    } else {
      created.push(table);
    }
  }
  for (const table of Object.values(next.tables)) {
    const from = table.renamedFrom;
    if (from && tableRenames.get(from) === table.name)
      diffTable(prev.tables[from], table, tableRenames, changes);
  }
  for (const table of Object.values(prev.tables)) {
    if (!matched.has(table.name)) changes.push({ kind: 'dropTable', table });
  }
  const existing = new Set(Object.keys(next.tables).filter((t) => !created.some((c) => c.name === t)));
  changes.push(...createTables(created, existing));

  if (!options.allowDestructive) {
    const drops = changes.flatMap((c) =>
      c.kind === 'dropTable'
        ? [`table ${c.table.name}`]
        : c.kind === 'dropColumn'
          ? [`column ${c.table}.${c.column.name}`]
          : [],
    );
    if (drops.length > 0) throw new DestructiveChangeError(drops);
  }
  return orderChanges(changes);
}

/** The change that undoes `change`. */
export function inverseChange(change: SchemaChange): SchemaChange {
  switch (change.kind) {
    case 'createTable':
      return { kind: 'dropTable', table: change.table };
    case 'dropTable':
      return { kind: 'createTable', table: change.table };
    case 'renameTable':
      return { kind: 'renameTable', from: change.to, to: change.from };
    case 'addColumn':
      return { kind: 'dropColumn', table: change.table, column: change.column };
    case 'dropColumn':
      return { kind: 'addColumn', table: change.table, column: change.column };
    case 'renameColumn':
      return { kind: 'renameColumn', table: change.table, from: change.to, to: change.from };
    case 'alterColumn':
      return { kind: 'alterColumn', table: change.table, from: change.to, to: change.from };
    case 'createIndex':
      return { kind: 'dropIndex', table: change.table, index: change.index };
    case 'dropIndex':
      return { kind: 'createIndex', table: change.table, index: change.index };
    case 'createForeignKey':
      return { kind: 'dropForeignKey', table: change.table, foreignKey: change.foreignKey };
    case 'dropForeignKey':
      return { kind: 'createForeignKey', table: change.table, foreignKey: change.foreignKey };
  }
}

/** The changes that undo a list of changes, in the order to run them. */
export function inverseChanges(changes: readonly SchemaChange[]): SchemaChange[] {
  return [...changes].reverse().map(inverseChange);
}

/**
 * Changes to a table that exists on both sides (`prev` under its old name when renamed). Drops run
 * against the old table name (before the rename), everything else against the new one.
 */
function diffTable(
  prev: SnapshotTable,
  next: SnapshotTable,
  tableRenames: ReadonlyMap<string, string>,
  changes: SchemaChange[],
): void {
  const columnRenames = new Map<string, string>();
  const prevColumns = new Map(prev.columns.map((c) => [c.name, c]));
  const nextNames = new Set(next.columns.map((c) => c.name));
  const kept = new Set<string>();

  for (const column of next.columns) {
    let before = prevColumns.get(column.name);
    if (before) {
      kept.add(column.name);
    } else if (
      column.renamedFrom &&
      prevColumns.has(column.renamedFrom) &&
      !nextNames.has(column.renamedFrom)
    ) {
      before = prevColumns.get(column.renamedFrom)!;
      kept.add(before.name);
      columnRenames.set(before.name, column.name);
      changes.push({ kind: 'renameColumn', table: next.name, from: before.name, to: column.name });
    }
    if (!before) changes.push({ kind: 'addColumn', table: next.name, column });
    else if (!sameColumnShape(before, column))
      changes.push({
        kind: 'alterColumn',
        table: next.name,
        from: { ...before, name: column.name },
        to: column,
      });
  }
  for (const column of prev.columns) {
    if (!kept.has(column.name)) changes.push({ kind: 'dropColumn', table: next.name, column });
  }

  const renameColumn = (c: string) => columnRenames.get(c) ?? c;
  const renameTable = (t: string) => tableRenames.get(t) ?? t;
  const indexKey = (i: SnapshotIndex, rename: (c: string) => string) =>
    JSON.stringify([i.name, i.columns.map(rename), i.unique]);
  const nextIndexes = new Set(next.indexes.map((i) => indexKey(i, (c) => c)));
  const prevIndexes = new Set(prev.indexes.map((i) => indexKey(i, renameColumn)));
  for (const index of prev.indexes)
    if (!nextIndexes.has(indexKey(index, renameColumn)))
      changes.push({ kind: 'dropIndex', table: prev.name, index });
  for (const index of next.indexes)
    if (!prevIndexes.has(indexKey(index, (c) => c)))
      changes.push({ kind: 'createIndex', table: next.name, index });

  const foreignKeyKey = (
    f: SnapshotForeignKey,
    rename: (c: string) => string,
    table: (t: string) => string,
  ) =>
    JSON.stringify([
      f.name,
      f.columns.map(rename),
      table(f.referencedTable),
      f.referencedColumns,
      f.onDelete,
    ]);
  const same = (c: string) => c;
  const nextKeys = new Set(next.foreignKeys.map((f) => foreignKeyKey(f, same, same)));
  const prevKeys = new Set(prev.foreignKeys.map((f) => foreignKeyKey(f, renameColumn, renameTable)));
  for (const foreignKey of prev.foreignKeys)
    if (!nextKeys.has(foreignKeyKey(foreignKey, renameColumn, renameTable)))
      changes.push({ kind: 'dropForeignKey', table: prev.name, foreignKey });
  for (const foreignKey of next.foreignKeys)
    if (!prevKeys.has(foreignKeyKey(foreignKey, same, same)))
      changes.push({ kind: 'createForeignKey', table: next.name, foreignKey });
}

/**
 * New tables in dependency order, each with the foreign keys whose target exists by then; keys
 * closing a cycle become separate createForeignKey changes after every table exists.
 */
function createTables(tables: SnapshotTable[], existing: ReadonlySet<string>): SchemaChange[] {
  const pending = [...tables].sort((a, b) => compareText(a.name, b.name));
  const available = new Set(existing);
  const ordered: SnapshotTable[] = [];
  const unresolved = (t: SnapshotTable) =>
    t.foreignKeys.filter((f) => f.referencedTable !== t.name && !available.has(f.referencedTable)).length;
  while (pending.length > 0) {
    // A table whose targets all exist; inside a cycle, the one leaving the fewest keys for later.
    let next = 0;
    for (let i = 1; i < pending.length && unresolved(pending[next]) > 0; i++)
      if (unresolved(pending[i]) < unresolved(pending[next])) next = i;
    const [table] = pending.splice(next, 1);
    ordered.push(table);
    available.add(table.name);
  }
  const changes: SchemaChange[] = [];
  const created = new Set(existing);
  for (const table of ordered) {
    created.add(table.name);
    const inline = table.foreignKeys.filter((f) => created.has(f.referencedTable));
    const later = table.foreignKeys.filter((f) => !created.has(f.referencedTable));
    changes.push({ kind: 'createTable', table: { ...table, foreignKeys: inline } });
    for (const foreignKey of later) changes.push({ kind: 'createForeignKey', table: table.name, foreignKey });
  }
  return changes;
}

/** Stable: within a phase, changes keep the order they were found in. */
function orderChanges(changes: SchemaChange[]): SchemaChange[] {
  return PHASES.flatMap((phase) => changes.filter((c) => c.kind === phase));
}

function sameColumnShape(a: SnapshotColumn, b: SnapshotColumn): boolean {
  return (
    a.type === b.type &&
    a.length === b.length &&
    a.precision === b.precision &&
    a.scale === b.scale &&
    a.nullable === b.nullable &&
    a.default === b.default &&
    (a.generated ?? false) === (b.generated ?? false)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
