import { EntitySchema, type EntitySchemaColumnOptions, type EntitySchemaRelationOptions } from 'typeorm';
import type { ColumnType as TypeOrmColumnType } from 'typeorm/driver/types/ColumnTypes';
import type { ColumnType, CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';

/**
 * TypeORM EntitySchema per entity of a Model: the DataSource's metadata (columns, indexes, unique
 * constraints, many-to-one relations, system columns) plus one schema per many-to-many link table.
 * The engine's hot paths use hand-built SQL; these schemas describe the same tables for TypeORM
 * (repositories, schema tooling, migration diffs).
 */
export function buildEntitySchemas(model: Model): EntitySchema[] {
  const schemas: EntitySchema[] = [];
  for (const entity of model.entities.values()) {
    schemas.push(entitySchema(model, entity));
    for (const field of entity.fields) if (field.many) schemas.push(linkSchema(entity, field));
  }
  return schemas;
}

const TYPE_OF: Record<ColumnType, TypeOrmColumnType> = {
  varchar: 'varchar',
  text: 'text',
  int: 'int',
  bigint: 'bigint',
  decimal: 'decimal',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  json: 'json',
};

function entitySchema(model: Model, entity: CompiledEntity): EntitySchema {
  const columns: Record<string, EntitySchemaColumnOptions> = {};
  // Every table carries every system column (as the migrations create them), scoped or not.
  for (const system of entity.systemColumns) {
    columns[system.column] = {
      name: system.column,
      type: TYPE_OF[system.columnType],
      nullable: system.nullable,
      ...(system.length !== undefined ? { length: system.length } : {}),
      ...(system.column === 'id' ? { primary: true, generated: 'increment' as const } : {}),
      ...(system.column === 'version' ? { default: 1 } : {}),
    };
  }
  const relations: Record<string, EntitySchemaRelationOptions> = {};
  for (const field of entity.fields) {
    if (field.storage !== 'column' || !field.column || !field.columnType) continue;
    columns[field.column] = fieldColumn(field);
    const target = field.relation ? model.entities.get(field.relation.target) : undefined;
    if (field.relation && target) {
      relations[field.apiName] = {
        type: 'many-to-one',
        target: target.name,
        joinColumn: { name: field.column },
        nullable: field.nullable,
        onDelete:
          field.relation.onDelete === 'setNull'
            ? 'SET NULL'
            : (field.relation.onDelete.toUpperCase() as 'RESTRICT' | 'CASCADE'),
      };
    }
  }
  return new EntitySchema({
    name: entity.name,
    tableName: entity.table,
    columns,
    relations,
    indices: entity.indexes.filter((i) => !i.unique).map((i) => ({ name: i.name, columns: i.columns })),
    uniques: entity.indexes.filter((i) => i.unique).map((i) => ({ name: i.name, columns: i.columns })),
  });
}

function fieldColumn(field: CompiledField): EntitySchemaColumnOptions {
  const options: EntitySchemaColumnOptions = {
    name: field.column,
    type: TYPE_OF[field.columnType ?? 'varchar'],
    nullable: field.nullable,
  };
  if (field.length !== undefined) options.length = field.length;
  if (field.precision !== undefined) options.precision = field.precision;
  if (field.scale !== undefined) options.scale = field.scale;
  const fallback = field.def.default;
  if (fallback !== undefined && fallback !== null) options.default = fallback;
  return options;
}

function linkSchema(entity: CompiledEntity, field: CompiledField): EntitySchema {
  const many = field.many;
  if (!many) throw new Error(`${entity.name}.${field.name} is not a many field`);
  return new EntitySchema({
    name: many.through,
    tableName: many.through,
    columns: {
      tenant_id: { type: 'varchar', length: 32, nullable: false },
      [many.sourceColumn]: { type: 'bigint', primary: true },
      [many.targetColumn]: { type: 'bigint', primary: true },
    },
    indices: [{ name: `idx_${many.through}_target`.slice(0, 64), columns: [many.targetColumn] }],
  });
}
