/** The role registry rows (`sys_role`) of the roles the Model declares. */
import type { Model } from '../../../metadata/src/model';
import { toSqlDateTime } from '../audit/audit-record';
import type { SqlExecutor } from '../data/database';

/**
 * Gives every tenant that has roles a registry row for each role the Model declares and the tenant
 * lacks (a plugin's or a studio change set's roles), so administrators can grant them. Rows that
 * exist are left as they are; a row another instance inserted at the same moment is no error.
 * Returns the roles inserted, as `tenant:role`.
 */
export async function ensureModelRoleRows(sql: SqlExecutor, model: Model): Promise<string[]> {
  const table = model.entities.get('role')?.table;
  if (!table || model.roles.size === 0) return [];
  const rows = await sql.query<{ tenant_id: string; role_code: string }>(
    `SELECT tenant_id, role_code FROM ${table}`,
  );
  const existing = new Map<string, Set<string>>();
  for (const row of rows)
    existing.set(row.tenant_id, (existing.get(row.tenant_id) ?? new Set()).add(row.role_code));
  const inserted: string[] = [];
  const now = toSqlDateTime(new Date());
  for (const [tenantId, codes] of existing) {
    for (const role of model.roles.values()) {
      if (codes.has(role.role)) continue;
      try {
        await insertRoleRow(sql, table, tenantId, role.role, role.label.en, now);
        inserted.push(`${tenantId}:${role.role}`);
      } catch (error) {
        const again = await sql.query<{ id: number }>(
          `SELECT id FROM ${table} WHERE tenant_id = ? AND role_code = ?`,
          [tenantId, role.role],
        );
        if (again.length === 0) throw error;
      }
    }
  }
  return inserted;
}

/** Inserts a shipped (SYSTEM) role row; returns its id. */
export async function insertRoleRow(
  sql: SqlExecutor,
  table: string,
  tenantId: string,
  code: string,
  name: string,
  now: string,
): Promise<number> {
  const inserted = await sql.execute(
    `INSERT INTO ${table} (tenant_id, role_code, role_name, role_type, role_level, data_scope, inherit_permissions, inherit_data_scope, status, created_at, created_by, updated_at, updated_by, version) ` +
      "VALUES (?, ?, ?, 'SYSTEM', 0, 'ALL', 1, 0, 'ACTIVE', ?, 'system', ?, 'system', 1)",
    [tenantId, code, name, now, now],
  );
  return inserted.insertId;
}
