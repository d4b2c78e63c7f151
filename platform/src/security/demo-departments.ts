import type { Model } from '../../../metadata/src/model';
import { toSqlDateTime } from '../audit/audit-record';
import type { SqlExecutor } from '../data/database';
import { departmentIdsByCode, insertDepartment } from './demo-seed-store';

/** The department codes that user codes (`<TENANT>-<DEPT>-NNNN`) are made from. */
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
  const ids = await departmentIdsByCode(sql, table, tenantId);
  const now = toSqlDateTime(new Date());
  for (const [order, department] of DEMO_DEPARTMENTS.entries()) {
    if (ids.has(department.code)) continue;
    ids.set(department.code, await insertDepartment(sql, table, tenantId, { ...department, order }, now));
  }
  return ids;
}
