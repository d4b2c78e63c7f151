import type { Model } from '../../../../metadata/src/model';
import type { SqlExecutor } from '../../data/database';
import { toSqlDateTime } from '../../audit/audit-record';
import type { Principal } from '../principal';

/** The stored account a login checks. */
export interface UserAccount {
  id: string;
  username: string;
  realName: string | null;
  passwordHash: string | null;
  status: string;
  departmentId: number | null;
  supplierId: number | null;
  /** The language the user chose for the app and server messages; null when none is stored. */
  locale: 'en' | 'zh' | null;
}

function tables(model: Model) {
  const table = (entity: string, fallback: string) => model.entities.get(entity)?.table ?? fallback;
  return {
    user: table('user', 'sys_user'),
    userRole: table('user_role', 'sys_user_role'),
    role: table('role', 'sys_role'),
    rolePermission: table('role_permission', 'sys_role_permission'),
    permission: table('permission', 'sys_permission'),
    department: table('department', 'sys_dept'),
  };
}

export async function findAccount(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  where: { username: string } | { id: string },
): Promise<UserAccount | null> {
  const byName = 'username' in where;
  const rows = await db.query<{
    id: number | string;
    username: string;
    real_name: string | null;
    password_hash: string | null;
    status: string;
    department_id: number | null;
    supplier_id: number | null;
    locale?: string | null;
  }>(
    `SELECT id, username, real_name, password_hash, status, department_id, supplier_id${model.entities.get('user')?.fieldsByName.has('locale') ? ', locale' : ''} FROM ${tables(model).user} ` +
      `WHERE tenant_id = ? AND ${byName ? 'username' : 'id'} = ? AND deleted_at IS NULL`,
    [tenantId, byName ? where.username : Number(where.id)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: String(row.id),
    username: row.username,
    realName: row.real_name,
    passwordHash: row.password_hash,
    status: row.status,
    departmentId: row.department_id === null ? null : Number(row.department_id),
    supplierId: row.supplier_id === null ? null : Number(row.supplier_id),
    locale: row.locale === 'en' || row.locale === 'zh' ? row.locale : null,
  };
}

/**
 * Builds the principal of an account: its active, unexpired roles; the permissions granted to them in
 * the database (runtime-edited roles); its department and the subtree below it.
 */
export async function loadPrincipal(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  account: UserAccount,
): Promise<Principal> {
  const t = tables(model);
  const roleRows = await db.query<{ id: number | string; role_code: string }>(
    `SELECT r.id, r.role_code FROM ${t.userRole} ur JOIN ${t.role} r ON r.id = ur.role_id ` +
      `WHERE ur.tenant_id = ? AND ur.user_id = ? AND ur.deleted_at IS NULL AND r.deleted_at IS NULL AND r.status = 'ACTIVE' ` +
      'AND (ur.valid_until IS NULL OR ur.valid_until > ?)',
    [tenantId, Number(account.id), toSqlDateTime(new Date())],
  );
  const roleIds = roleRows.map((r) => Number(r.id));
  const granted =
    roleIds.length === 0
      ? []
      : await db.query<{ permission_code: string }>(
          `SELECT DISTINCT p.permission_code FROM ${t.rolePermission} rp JOIN ${t.permission} p ON p.id = rp.permission_id ` +
            `WHERE rp.tenant_id = ? AND rp.deleted_at IS NULL AND p.status = 'ACTIVE' AND rp.role_id IN (${roleIds.map(() => '?').join(', ')})`,
          [tenantId, ...roleIds],
        );
  const departments = account.departmentId === null ? [] : [account.departmentId];
  return {
    userId: account.id,
    username: account.username,
    tenantId,
    roles: roleRows.map((r) => r.role_code),
    grantedPermissions: granted.map((g) => g.permission_code),
    departmentIds: departments,
    supplierId: account.supplierId,
    ...(account.locale ? { locale: account.locale } : {}),
    departmentTreeIds:
      account.departmentId === null
        ? []
        : await departmentSubtree(db, t.department, tenantId, account.departmentId),
    ...(await memberships(db, model, tenantId, Number(account.id))),
  };
}

/**
 * The production lines and plants the user is assigned to (`user.lines`, `user.plants`), for the
 * `line` and `plant` row scopes. Working on a line makes the user a member of the line's plant.
 */
async function memberships(
  db: SqlExecutor,
  model: Model,
  tenantId: string,
  userId: number,
): Promise<{ lineIds: number[]; plantIds: number[] }> {
  const user = model.entities.get('user');
  const linked = async (field: string): Promise<number[]> => {
    const many = user?.fieldsByName.get(field)?.many;
    if (!many) return [];
    const rows = await db.query<{ id: number | string }>(
      `SELECT ${many.targetColumn} AS id FROM ${many.through} WHERE tenant_id = ? AND ${many.sourceColumn} = ?`,
      [tenantId, userId],
    );
    return rows.map((row) => Number(row.id));
  };
  const lineIds = await linked('lines');
  const line = model.entities.get('production_line');
  const plantColumn = line?.fieldsByName.get('plant')?.column;
  const plantsOfLines =
    lineIds.length === 0 || !line || !plantColumn
      ? []
      : await db.query<{ id: number | string }>(
          `SELECT DISTINCT ${plantColumn} AS id FROM ${line.table} WHERE tenant_id = ? AND deleted_at IS NULL ` +
            `AND id IN (${lineIds.map(() => '?').join(', ')})`,
          [tenantId, ...lineIds],
        );
  const plantIds = [...(await linked('plants')), ...plantsOfLines.map((row) => Number(row.id))];
  return { lineIds, plantIds: [...new Set(plantIds)].sort((a, b) => a - b) };
}

async function departmentSubtree(
  db: SqlExecutor,
  table: string,
  tenantId: string,
  root: number,
): Promise<number[]> {
  const rows = await db.query<{ id: number | string; parent_id: number | string | null }>(
    `SELECT id, parent_id FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL`,
    [tenantId],
  );
  const children = new Map<number, number[]>();
  for (const row of rows) {
    if (row.parent_id === null) continue;
    const parent = Number(row.parent_id);
    children.set(parent, [...(children.get(parent) ?? []), Number(row.id)]);
  }
  const result: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const id = queue.shift() as number;
    if (seen.has(id)) continue;
    seen.add(id);
    result.push(id);
    queue.push(...(children.get(id) ?? []));
  }
  return result;
}
