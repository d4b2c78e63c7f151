import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';

/** A menu entry a tenant added through `/api/menus` (the `menu` entity), as stored. */
export interface TenantMenuRow {
  id: number;
  menu_code: string;
  menu_name: string;
  menu_name_en: string | null;
  parent_id: number | null;
  menu_type: string;
  module_code: string;
  route_path: string | null;
  entity_name: string | null;
  icon: string | null;
  sort_order: number | null;
  permission_code: string | null;
  external_url: string | null;
}

/** The tenant's active, visible menu rows (buttons are permissions of a screen, not entries). */
export async function tenantMenuRows(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
): Promise<TenantMenuRow[]> {
  const menu = model.entities.get('menu');
  if (!menu) return [];
  const rows = await db.query<TenantMenuRow>(
    `SELECT id, menu_code, menu_name, menu_name_en, parent_id, menu_type, module_code, route_path, entity_name,
            icon, sort_order, permission_code, external_url
       FROM ${db.dialect.quote(menu.table)}
      WHERE tenant_id = ? AND deleted_at IS NULL AND status = 'ACTIVE' AND visible = 1 AND menu_type <> 'BUTTON'
      ORDER BY sort_order, id`,
    [tenantId],
  );
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    parent_id: row.parent_id === null ? null : Number(row.parent_id),
  }));
}
