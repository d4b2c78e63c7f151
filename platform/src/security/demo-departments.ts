import type { Model } from '../../../metadata/src/model';
import { toSqlDateTime } from '../audit/audit-record';
import type { SqlExecutor } from '../data/database';

/** The department codes of DOMAIN.md §3, which user codes (`<TENANT>-<DEPT>-NNNN`) are made from. */
export const DEMO_DEPARTMENTS: readonly { code: string; name: string }[] = [
  { code: 'MGT', name: 'Management' },
  { code: 'FIN', name: 'Finance' },
  { code: 'HR', name: 'Human resources' },
  { code: 'LOG', name: 'Logistics and warehouse' },
  { code: 'PUR', name: 'Purchasing' },
  { code: 'PRD', name: 'Production' },
  { code: 'ENG', name: 'Engineering' },
  { code: 'QC', name: 'Quality control' },
  { code: 'MNT', name: 'Maintenance' },
  { code: 'IT', name: 'Information technology' },
];

/**
 * The demo tenant's departments by code, created where missing (the plant seed and the security seed
 * both need them, in either order). Idempotent.
 */
export async function ensureDemoDepartments(
  sql: SqlExecutor,
  tenantId: string,
  model: Model,
): Promise<Map<string, number>> {
  const table = model.entities.get('department')?.table ?? 'sys_dept';
  const existing = await sql.query<{ id: number; dept_code: string }>(
    `SELECT id, dept_code FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL`,
    [tenantId],
  );
  const ids = new Map(existing.map((row) => [row.dept_code, Number(row.id)]));
  const now = toSqlDateTime(new Date());
  for (const [order, department] of DEMO_DEPARTMENTS.entries()) {
    if (ids.has(department.code)) continue;
    const inserted = await sql.execute(
      `INSERT INTO ${table} (tenant_id, dept_code, dept_name, dept_type, sort_order, status, created_at, created_by, updated_at, updated_by, version) ` +
        "VALUES (?, ?, ?, 'DEPARTMENT', ?, 'ACTIVE', ?, 'system', ?, 'system', 1)",
      [tenantId, department.code, department.name, order, now, now],
    );
    ids.set(department.code, inserted.insertId);
  }
  return ids;
}
