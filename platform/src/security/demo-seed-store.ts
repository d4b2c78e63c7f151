/** The statements of the demo seed: departments, roles, users and their role assignments. */
import type { SqlExecutor } from '../data/database';

export async function departmentIdsByCode(
  sql: SqlExecutor,
  table: string,
  tenantId: string,
): Promise<Map<string, number>> {
  const rows = await sql.query<{ id: number; dept_code: string }>(
    `SELECT id, dept_code FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL`,
    [tenantId],
  );
  return new Map(rows.map((row) => [row.dept_code, Number(row.id)]));
}

export async function insertDepartment(
  sql: SqlExecutor,
  table: string,
  tenantId: string,
  department: { code: string; name: string; order: number },
  now: string,
): Promise<number> {
  const inserted = await sql.execute(
    `INSERT INTO ${table} (tenant_id, dept_code, dept_name, dept_type, sort_order, status, created_at, created_by, updated_at, updated_by, version) ` +
      "VALUES (?, ?, ?, 'DEPARTMENT', ?, 'ACTIVE', ?, 'system', ?, 'system', 1)",
    [tenantId, department.code, department.name, department.order, now, now],
  );
  return inserted.insertId;
}

/** The role's id, created (a system role with every row in scope) when missing. */
export async function ensureRole(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  code: string,
  name: string,
  now: string,
): Promise<number> {
  const found = await tx.query<{ id: number | string }>(
    `SELECT id FROM ${table} WHERE tenant_id = ? AND role_code = ?`,
    [tenantId, code],
  );
  if (found[0]) return Number(found[0].id);
  const inserted = await tx.execute(
    `INSERT INTO ${table} (tenant_id, role_code, role_name, role_type, role_level, data_scope, inherit_permissions, inherit_data_scope, status, created_at, created_by, updated_at, updated_by, version) ` +
      "VALUES (?, ?, ?, 'SYSTEM', 0, 'ALL', 1, 0, 'ACTIVE', ?, 'system', ?, 'system', 1)",
    [tenantId, code, name, now, now],
  );
  return inserted.insertId;
}

export async function userExists(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  username: string,
): Promise<boolean> {
  const rows = await tx.query<{ id: number }>(
    `SELECT id FROM ${table} WHERE tenant_id = ? AND username = ?`,
    [tenantId, username],
  );
  return rows.length > 0;
}

export interface DemoUserRow {
  userCode: string | null;
  username: string;
  realName: string;
  departmentId: number;
  passwordHash: string;
  /** Default EMPLOYEE. */
  userType?: string;
  /** The supplier of an external user. */
  supplierId?: number | null;
}

/** Inserts an active employee account; returns its id. */
export async function insertDemoUser(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  user: DemoUserRow,
  now: string,
): Promise<number> {
  const inserted = await tx.execute(
    `INSERT INTO ${table} (tenant_id, user_code, username, real_name, department_id, supplier_id, password_hash, user_type, status, locale, login_count, failed_login_count, ` +
      "password_changed_at, created_at, created_by, updated_at, updated_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'en', 0, 0, ?, ?, 'system', ?, 'system', 1)",
    [
      tenantId,
      user.userCode,
      user.username,
      user.realName,
      user.departmentId,
      user.supplierId ?? null,
      user.passwordHash,
      user.userType ?? 'EMPLOYEE',
      now,
      now,
      now,
    ],
  );
  return inserted.insertId;
}

/** The tenant's first supplier (lowest id), or null without suppliers. */
export async function firstSupplierId(
  tx: SqlExecutor,
  table: string | undefined,
  tenantId: string,
): Promise<number | null> {
  if (!table) return null;
  const rows = await tx.query<{ id: number | string }>(
    `SELECT MIN(id) AS id FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL`,
    [tenantId],
  );
  return rows[0]?.id == null ? null : Number(rows[0].id);
}

export async function insertUserRole(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  userId: number,
  roleId: number,
  now: string,
): Promise<void> {
  await tx.execute(
    `INSERT INTO ${table} (tenant_id, user_id, role_id, from_position, created_at, created_by, updated_at, updated_by, version) VALUES (?, ?, ?, 0, ?, 'system', ?, 'system', 1)`,
    [tenantId, userId, roleId, now, now],
  );
}

/** Makes the user the department's manager unless it has one. */
export async function setDepartmentManagerIfNone(
  tx: SqlExecutor,
  table: string,
  tenantId: string,
  departmentId: number,
  userId: number,
): Promise<void> {
  await tx.execute(
    `UPDATE ${table} SET manager_id = ? WHERE tenant_id = ? AND id = ? AND manager_id IS NULL`,
    [userId, tenantId, departmentId],
  );
}

/** Makes the user a member of every production line of the tenant (the `user.lines` link table). */
export async function linkToEveryLine(
  tx: SqlExecutor,
  link: { through: string; sourceColumn: string; targetColumn: string; lineTable: string },
  tenantId: string,
  userId: number,
): Promise<void> {
  await tx.execute(
    `INSERT INTO ${link.through} (tenant_id, ${link.sourceColumn}, ${link.targetColumn}) ` +
      `SELECT tenant_id, ?, id FROM ${link.lineTable} WHERE tenant_id = ? AND deleted_at IS NULL`,
    [userId, tenantId],
  );
}
