import { randomBytes } from 'node:crypto';
import type { Model } from '../../../metadata/src/model';
import type { EngineDatabase } from '../data/database';
import { toSqlDateTime } from '../audit/audit-record';
import { SequenceService } from '../data/sequences';
import { hashPassword, passwordPolicyViolations } from './auth/password';
import { ensureDemoDepartments } from './demo-departments';
import {
  ensureRole,
  firstSupplierId,
  insertDemoUser,
  insertUserRole,
  linkToEveryLine,
  setDepartmentManagerIfNone,
  userExists,
} from './demo-seed-store';

/**
 * Demo usernames, the role documents each one holds and their department. Roles of a plugin (buyer,
 * purchase approver, supplier order viewer, maintenance technician and planner) get their registry row now and
 * their permissions when the plugin is enabled. The supplier contact is an external user of the
 * tenant's first supplier (when the plant has suppliers).
 */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'admin', realName: 'Administrator', role: 'admin', department: 'IT' },
  { username: 'planner', realName: 'Production planner', role: 'production_planner', department: 'PRD' },
  { username: 'engineer', realName: 'Process engineer', role: 'process_engineer', department: 'ENG' },
  { username: 'operator', realName: 'Line operator', role: 'operator', department: 'PRD', onLines: true },
  { username: 'leader', realName: 'Line leader', role: 'line_leader', department: 'PRD', onLines: true },
  {
    username: 'supervisor',
    realName: 'Production supervisor',
    role: 'production_supervisor',
    department: 'PRD',
  },
  { username: 'manager', realName: 'Production manager', role: 'production_manager', department: 'PRD' },
  { username: 'inspector', realName: 'Quality inspector', role: 'quality_inspector', department: 'QC' },
  {
    username: 'qmanager',
    realName: 'Quality manager',
    role: 'quality_manager',
    department: 'QC',
    manages: true,
  },
  { username: 'clerk', realName: 'Warehouse clerk', role: 'warehouse_clerk', department: 'LOG' },
  { username: 'buyer', realName: 'Buyer', role: 'buyer', department: 'PUR' },
  {
    username: 'approver',
    realName: 'Purchase approver',
    role: 'purchase_approver',
    department: 'PUR',
    manages: true,
  },
  {
    username: 'supplier',
    realName: 'Supplier contact',
    role: 'supplier_user',
    moreRoles: ['supplier_order_viewer'],
    department: 'PUR',
    external: true,
  },
  {
    username: 'technician',
    realName: 'Maintenance technician',
    role: 'maintenance_technician',
    department: 'MNT',
  },
  {
    username: 'mplanner',
    realName: 'Maintenance planner',
    role: 'maintenance_planner',
    department: 'MNT',
    manages: true,
  },
  { username: 'analyst', realName: 'Business analyst', role: 'business_analyst', department: 'ENG' },
  { username: 'reviewer', realName: 'Metadata reviewer', role: 'metadata_reviewer', department: 'IT' },
  { username: 'auditor', realName: 'Auditor', role: 'auditor', department: 'FIN' },
  { username: 'hq', realName: 'Headquarters viewer', role: 'hq_viewer', department: 'MGT' },
];

export interface DemoUser {
  username: string;
  realName: string;
  /** The role that names the user's job. */
  role: string;
  moreRoles?: readonly string[];
  department: string;
  /** An external (supplier) account, linked to the tenant's first supplier. */
  external?: boolean;
  /** Manages the department (when it has no manager yet): NCRs of the department are assigned to them. */
  manages?: boolean;
  /** Works on every production line the plant has when the user is created (line row scopes). */
  onLines?: boolean;
}

export interface DemoSeedResult {
  /** Usernames created now (existing ones are left alone). */
  created: string[];
  /** The password, when it was generated here: print it once, it is stored nowhere in clear. */
  generatedPassword: string | null;
}

/**
 * Creates the role rows of every role document in the Model and the demo users with their roles, in
 * one transaction. The password is `MES_DEMO_PASSWORD` when set, otherwise generated. Idempotent:
 * existing roles and users are kept as they are. Never called when NODE_ENV=production.
 */
export async function seedDemoSecurity(
  database: EngineDatabase,
  model: Model,
  tenantId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DemoSeedResult> {
  if (env.NODE_ENV === 'production') throw new Error('Demo users are never seeded in production');
  const password = env.MES_DEMO_PASSWORD?.trim() || null;
  if (password) {
    const problems = policyProblems(password);
    if (problems.length > 0)
      throw new Error(`MES_DEMO_PASSWORD does not meet the password policy: ${problems.join('; ')}`);
  }
  const generatedPassword = password ? null : generatePassword();
  // Hashed only when a user is missing: an argon2 hash costs 64 MiB and a few hundred milliseconds
  // at every start otherwise, when the demo users exist already.
  let passwordHash: Promise<string> | undefined;
  const demoPasswordHash = () => (passwordHash ??= hashPassword(password ?? (generatedPassword as string)));
  const table = (entity: string, fallback: string) => model.entities.get(entity)?.table ?? fallback;
  const t = {
    user: table('user', 'sys_user'),
    role: table('role', 'sys_role'),
    userRole: table('user_role', 'sys_user_role'),
    department: table('department', 'sys_dept'),
  };
  const created = await database.transaction(async (tx) => {
    const now = toSqlDateTime(new Date());
    const roleIds = new Map<string, number>();
    for (const role of model.roles.values())
      roleIds.set(role.role, await ensureRole(tx, t.role, tenantId, role.role, role.label.en, now));
    for (const code of DEMO_USERS.flatMap((user) => [user.role, ...(user.moreRoles ?? [])]))
      if (!roleIds.has(code)) roleIds.set(code, await ensureRole(tx, t.role, tenantId, code, code, now));
    const departments = await ensureDemoDepartments(tx, tenantId, model);
    const supplierId = await firstSupplierId(tx, model.entities.get('supplier_master')?.table, tenantId);
    const userEntity = model.entities.get('user');
    const made: string[] = [];
    for (const user of DEMO_USERS) {
      if (await userExists(tx, t.user, tenantId, user.username)) continue;
      const departmentId = departments.get(user.department)!;
      // The same sequence the engine numbers users with, so API-created users never collide.
      const [userCode] = userEntity?.identifier
        ? await new SequenceService(model).generate(tx, userEntity, tenantId, [{ departmentId }])
        : [null];
      const userId = await insertDemoUser(
        tx,
        t.user,
        tenantId,
        {
          userCode,
          username: user.username,
          realName: user.realName,
          departmentId,
          passwordHash: await demoPasswordHash(),
          ...(user.external ? { userType: 'EXTERNAL', supplierId } : {}),
        },
        now,
      );
      for (const code of [user.role, ...(user.moreRoles ?? [])])
        await insertUserRole(tx, t.userRole, tenantId, userId, roleIds.get(code)!, now);
      if (user.manages) await setDepartmentManagerIfNone(tx, t.department, tenantId, departmentId, userId);
      const lines = userEntity?.fieldsByName.get('lines')?.many;
      const lineTable = model.entities.get('production_line')?.table;
      if (user.onLines && lines && lineTable)
        await linkToEveryLine(tx, { ...lines, lineTable }, tenantId, userId);
      made.push(user.username);
    }
    return made;
  });
  return { created, generatedPassword: created.length > 0 ? generatedPassword : null };
}

/** The policy's violations for any demo user (none may have their username in the password). */
function policyProblems(password: string): string[] {
  return [...new Set(DEMO_USERS.flatMap((user) => passwordPolicyViolations(password, user.username)))];
}

function generatePassword(): string {
  for (;;) {
    const candidate = `Demo-${randomBytes(9).toString('base64url')}`;
    if (policyProblems(candidate).length === 0) return candidate;
  }
}
