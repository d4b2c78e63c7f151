import { parseJsonColumn } from '../audit/audit-record';
import type { SqlExecutor } from '../data/database';

/** A user's saved list view as stored, in any tenant. */
export interface StoredSavedView {
  id: number;
  tenantId: string;
  entityName: string;
  definition: unknown;
}

/**
 * The saved list views of `entities` in every tenant (a publish renaming studio fields rewrites them
 * through the record-change path; this only finds them).
 */
export async function savedViewsOf(
  tx: SqlExecutor,
  table: string,
  entities: readonly string[],
): Promise<StoredSavedView[]> {
  if (entities.length === 0) return [];
  const q = (name: string) => tx.dialect.quote(name);
  const rows = await tx.query<{ id: number; tenant_id: string; entity_name: string; definition: unknown }>(
    `SELECT ${q('id')}, ${q('tenant_id')}, ${q('entity_name')}, ${q('definition')} FROM ${q(table)} ` +
      `WHERE ${q('entity_name')} IN (${entities.map(() => '?').join(', ')}) ORDER BY ${q('id')}`,
    entities,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    tenantId: row.tenant_id,
    entityName: row.entity_name,
    definition: parseJsonColumn(row.definition),
  }));
}
