import { resolveRelationLabels } from '../api/display';
import { entityMeta } from '../api/entity-meta';
import type { EntityMeta, EntityRecord, FieldMeta } from '../api/meta';

/** A child table of a record: its `children` field, the child entity and its fields to show as columns. */
export interface ChildTable {
  field: FieldMeta;
  meta: EntityMeta;
  columns: FieldMeta[];
}

/**
 * Columns of each child table from the child entity's metadata, labelled by its field labels: every
 * visible scalar field except the foreign key back to the parent (the table sits inside the parent).
 */
export async function childColumns(meta: EntityMeta): Promise<ChildTable[]> {
  const childFields = meta.fields.filter((f) => f.children);
  return Promise.all(
    childFields.map(async (field) => {
      const child = await entityMeta(field.children!.target);
      const foreignKey = field.children!.foreignKey;
      const columns = child.fields.filter(
        (f) => !f.hidden && !f.children && !f.many && f.name !== foreignKey && f.type !== 'json',
      );
      return { field, meta: child, columns };
    }),
  );
}

/** Names instead of ids in the child rows of `record`: their relations are labelled through the lookup. */
export async function labelChildRows(tables: ChildTable[], record: EntityRecord): Promise<void> {
  await Promise.all(
    tables.map((table) => {
      const rows = record[table.field.property];
      return Array.isArray(rows)
        ? resolveRelationLabels(table.meta, table.columns, rows as EntityRecord[])
        : Promise.resolve();
    }),
  );
}
