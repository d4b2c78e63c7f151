/**
 * Where each table lives on MySQL/MariaDB when `DATABASE_SCHEMA_<LOGICAL>` places a logical
 * database (log, bi, …) in a schema of its own: every table of that logical database is created,
 * altered and queried as `schema`.`table`; all others stay in `DATABASE_URL`'s database. SQLite
 * keeps one file, so nothing is ever placed there.
 *
 * The placement belongs to the DataSource: the engine's dialect qualifies a placed table wherever
 * SQL names it, and TypeORM's schema calls (migrations, runtime schema changes) are given the
 * qualified name. It learns a table's logical database from the committed schema snapshot (tables
 * created by migrations) and from the Model (tables of plugins and studio entities).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Table, TableForeignKey, type DataSource, type QueryRunner } from 'typeorm';
import type { Model } from '../../../metadata/src/model';
import { parseSnapshot, toSnapshot, type SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import type { DatabaseConfig, LogicalDatabaseName } from './connection/database-config';
import { DatabaseConfigError } from './connection/database-config';
import type { Dialect } from './dialect';
import { projectRoot } from '../config/project-root';

/** A table and the logical database it belongs to. */
export interface TableHome {
  name: string;
  database: string;
}

export class TablePlacement {
  private readonly schemaOfTable = new Map<string, string>();
  private readonly reserved = new Set<string>();

  constructor(private readonly schemas: Partial<Record<LogicalDatabaseName, string>>) {}

  /** Whether any logical database is placed apart (otherwise every lookup answers "default"). */
  get active(): boolean {
    return Object.keys(this.schemas).length > 0;
  }

  /** The configured schemas, by logical database. */
  get configured(): Partial<Record<LogicalDatabaseName, string>> {
    return { ...this.schemas };
  }

  /**
   * Records where tables live. A placed table's name must never also be used as a column name,
   * since the engine's quoting qualifies the name wherever it appears.
   */
  learn(tables: Iterable<TableHome>, columnNames: Iterable<string> = []): void {
    for (const table of tables) {
      const schema = this.schemas[table.database as LogicalDatabaseName];
      if (schema) this.schemaOfTable.set(table.name, schema);
      else this.schemaOfTable.delete(table.name);
    }
    for (const column of columnNames) this.reserved.add(column);
    for (const name of this.schemaOfTable.keys())
      if (this.reserved.has(name))
        throw new DatabaseConfigError(
          `DATABASE_SCHEMA_${this.logicalOf(name).toUpperCase()}`,
          `table "${name}" cannot be placed in schema "${this.schemaOfTable.get(name)}": a column has the same name`,
        );
  }

  /** A renamed table stays in its schema. */
  renamed(from: string, to: string): void {
    const schema = this.schemaOfTable.get(from);
    if (!schema) return;
    this.schemaOfTable.delete(from);
    this.schemaOfTable.set(to, schema);
  }

  /** The schema holding `table`, or undefined for the default database. */
  schemaOf(table: string): string | undefined {
    return this.schemaOfTable.get(table);
  }

  /** `schema.table` for a placed table, else the bare name (TypeORM's MySQL path syntax). */
  path(table: string): string {
    const schema = this.schemaOfTable.get(table);
    return schema ? `${schema}.${table}` : table;
  }

  /** Placed tables by schema. */
  tablesBySchema(): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const [table, schema] of this.schemaOfTable)
      result.set(schema, [...(result.get(schema) ?? []), table]);
    return result;
  }

  private logicalOf(table: string): string {
    const schema = this.schemaOfTable.get(table);
    return Object.entries(this.schemas).find(([, s]) => s === schema)?.[0] ?? 'core';
  }
}

const placements = new WeakMap<DataSource, TablePlacement>();
const NO_PLACEMENT = new TablePlacement({});

/** The snapshot migrations are generated from: every shipped table with its logical database. */
function snapshotTables(): { tables: TableHome[]; columns: string[] } {
  const file = resolve(projectRoot(), 'database', 'snapshots', 'model.snapshot.json');
  return homesOf(parseSnapshot(readFileSync(file, 'utf8')));
}

function homesOf(snapshot: SchemaSnapshot): { tables: TableHome[]; columns: string[] } {
  const tables = Object.values(snapshot.tables);
  return { tables, columns: tables.flatMap((table) => table.columns.map((column) => column.name)) };
}

/** Gives a DataSource its placement (MySQL with DATABASE_SCHEMA_* set); called when it is created. */
export function placeTables(dataSource: DataSource, config: DatabaseConfig): void {
  if (config.dialect !== 'mysql' || Object.keys(config.schemas).length === 0) return;
  const placement = new TablePlacement(config.schemas);
  const { tables, columns } = snapshotTables();
  placement.learn(tables, columns);
  placements.set(dataSource, placement);
}

/** Adds the tables of a Model (plugins, studio entities) to the DataSource's placement. */
export function placeModelTables(dataSource: DataSource, model: Model): void {
  const placement = placements.get(dataSource);
  if (!placement) return;
  const { tables, columns } = homesOf(toSnapshot(model));
  placement.learn(tables, columns);
}

/** The placement of a DataSource; an inactive one when nothing is placed apart. */
export function placementOf(dataSource: DataSource): TablePlacement {
  return placements.get(dataSource) ?? NO_PLACEMENT;
}

const TABLE_FIRST = new Set([
  'createTable',
  'dropTable',
  'hasTable',
  'getTable',
  'addColumn',
  'addColumns',
  'renameColumn',
  'changeColumn',
  'changeColumns',
  'dropColumn',
  'dropColumns',
  'hasColumn',
  'createPrimaryKey',
  'dropPrimaryKey',
  'createIndex',
  'createIndices',
  'dropIndex',
  'dropIndices',
  'createForeignKey',
  'createForeignKeys',
  'dropForeignKey',
  'dropForeignKeys',
  'createUniqueConstraint',
  'dropUniqueConstraint',
  'clearTable',
]);

/**
 * The QueryRunner with every table argument of TypeORM's schema API (a name or a Table) given its
 * schema, and foreign keys pointing into a placed table given theirs; anything else passes through.
 */
export function placedRunner(runner: QueryRunner): QueryRunner {
  const placement = placementOf(runner.connection);
  if (!placement.active) return runner;
  const placeForeignKey = (fk: TableForeignKey) =>
    new TableForeignKey({
      name: fk.name,
      columnNames: fk.columnNames,
      referencedColumnNames: fk.referencedColumnNames,
      referencedTableName: placement.path(fk.referencedTableName),
      onDelete: fk.onDelete,
      onUpdate: fk.onUpdate,
    });
  const placeTable = (table: unknown): unknown => {
    if (typeof table === 'string') return placement.path(table);
    if (table instanceof Table) {
      const placed = table.clone();
      placed.name = placement.path(table.name);
      placed.foreignKeys = table.foreignKeys.map(placeForeignKey);
      return placed;
    }
    return table;
  };
  return new Proxy(runner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      if (property === 'renameTable')
        return (from: unknown, to: string) =>
          (value as (a: unknown, b: string) => Promise<void>).call(target, placeTable(from), to);
      if (!TABLE_FIRST.has(property)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (table: unknown, ...rest: unknown[]) => {
        const args = rest.map((arg) =>
          arg instanceof TableForeignKey
            ? placeForeignKey(arg)
            : Array.isArray(arg)
              ? arg.map((item) => (item instanceof TableForeignKey ? placeForeignKey(item) : item))
              : arg,
        );
        return (value as (...a: unknown[]) => unknown).call(target, placeTable(table), ...args);
      };
    },
  });
}

/** The dialect with placed tables qualified wherever SQL quotes their name. */
export function placedDialect(dialect: Dialect, placement: TablePlacement): Dialect {
  if (!placement.active) return dialect;
  return {
    ...dialect,
    quote: (identifier) => {
      const schema = placement.schemaOf(identifier);
      return schema ? `${dialect.quote(schema)}.${dialect.quote(identifier)}` : dialect.quote(identifier);
    },
  };
}
