import { identifierNodes, parseExpression } from '../../expression';
import { isScopeVariable, SCOPE_VARIABLES } from '../../model/scope-variables';
import type { RuleId } from '../../rules';
import type { LoadedDocument } from '../../loader';
import { pointer } from '../../loader';
import { didYouMean } from '../../suggest';
import type { DataScope, MenuItem, RoleDef } from '../../types';
import type { SemanticContext } from './context';
import { requireField } from './entities';
import { checkExpression } from './expressions';
import { actionsOf, knownPermissionCodes, permissionExists } from './permission-codes';

type Codes = ReturnType<typeof knownPermissionCodes>;

function checkCode(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  code: string,
  codes: Codes,
  rule: RuleId,
): void {
  if (permissionExists(codes, code)) return;
  const [area, action] = code.split(':');
  const message =
    area === '*' || codes.has(area)
      ? `permission \`${code}\` does not exist: no action \`${action}\` on \`${area}\``
      : `permission \`${code}\` does not exist: no entity or permission area \`${area}\``;
  const hint = codes.has(area)
    ? (didYouMean(action, actionsOf(codes, area)) ?? `actions: ${actionsOf(codes, area).join(', ')}`)
    : didYouMean(area, codes.keys());
  ctx.report(document, path, rule, message, { hint });
}

function requireEntity(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  name: string,
  rule: RuleId,
  at: 'key' | 'value' = 'value',
): boolean {
  if (ctx.isDeclared('entity', name)) return ctx.set.entities.has(name);
  ctx.report(document, path, rule, `entity \`${name}\` does not exist`, {
    at,
    hint: didYouMean(name, ctx.namesOf('entity')),
  });
  return false;
}

function checkScope(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  scope: DataScope,
  entity: string | undefined,
): void {
  if (typeof scope !== 'object') return;
  checkExpression(
    ctx,
    document,
    `${path}/filter`,
    scope.filter,
    entity ? ctx.set.entities.get(entity) : undefined,
  );
  let variables: string[];
  try {
    variables = identifierNodes(parseExpression(scope.filter))
      .map((node) => node.path.join('.'))
      .filter((name) => name.startsWith('$'));
  } catch {
    return; // the syntax error is already reported
  }
  for (const name of new Set(variables)) {
    if (isScopeVariable(name)) continue;
    ctx.report(
      document,
      `${path}/filter`,
      'role-scope',
      `scope filter uses unknown caller variable \`${name}\``,
      {
        hint: `caller variables: ${Object.keys(SCOPE_VARIABLES).join(', ')}`,
      },
    );
  }
}

/** Roles inherited in a loop would grant each other everything; report the role closing the loop. */
function checkInheritance(ctx: SemanticContext, roles: { document: LoadedDocument; def: RoleDef }[]): void {
  const byName = new Map(roles.map((role) => [role.def.role, role.def]));
  for (const { document, def } of roles) {
    const seen = new Set<string>();
    const pending = [...(def.inherits ?? [])];
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (name === def.role) {
        ctx.report(
          document,
          pointer('inherits'),
          'role-inherits',
          `role \`${def.role}\` inherits itself through its parents`,
        );
        break;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      pending.push(...(byName.get(name)?.inherits ?? []));
    }
  }
}

function checkRoles(ctx: SemanticContext, codes: Codes): void {
  const roles = ctx.documentsOf('role');
  for (const { document, def } of roles) {
    def.permissions.forEach((code, i) =>
      checkCode(ctx, document, pointer('permissions', i), code, codes, 'role-permission'),
    );
    for (const [entityName, rules] of Object.entries(def.fields ?? {})) {
      if (!requireEntity(ctx, document, pointer('fields', entityName), entityName, 'role-field', 'key'))
        continue;
      const entity = ctx.set.entities.get(entityName);
      if (!entity) continue;
      for (const kind of ['hidden', 'readonly'] as const) {
        (rules[kind] ?? []).forEach((field, i) =>
          requireField(ctx, document, pointer('fields', entityName, kind, i), entity, field, 'role-field'),
        );
      }
    }
    if (def.dataScope) checkScope(ctx, document, pointer('dataScope'), def.dataScope, undefined);
    for (const [entityName, scope] of Object.entries(def.dataScopes ?? {})) {
      if (requireEntity(ctx, document, pointer('dataScopes', entityName), entityName, 'role-scope', 'key')) {
        checkScope(ctx, document, pointer('dataScopes', entityName), scope, entityName);
      }
    }
    (def.inherits ?? []).forEach((role, i) => {
      if (!ctx.isDeclared('role', role)) {
        ctx.report(document, pointer('inherits', i), 'role-inherits', `role \`${role}\` does not exist`, {
          hint: didYouMean(role, ctx.namesOf('role')),
        });
      }
    });
  }
  checkInheritance(ctx, roles);
}

function checkMenuItems(
  ctx: SemanticContext,
  document: LoadedDocument,
  base: (string | number)[],
  items: MenuItem[],
  codes: Codes,
  ids: Set<string>,
): void {
  items.forEach((item, index) => {
    const at = (...segments: string[]): string => pointer(...base, index, ...segments);
    if (ids.has(item.id))
      ctx.report(document, at('id'), 'menu-item', `menu item id \`${item.id}\` is used twice in this menu`);
    ids.add(item.id);
    if (item.entity) requireEntity(ctx, document, at('entity'), item.entity, 'menu-entity');
    if (item.permission)
      checkCode(ctx, document, at('permission'), item.permission, codes, 'menu-permission');
    if (!item.entity && !item.route && !item.children?.length) {
      ctx.report(
        document,
        at('id'),
        'menu-item',
        `menu item \`${item.id}\` opens nothing: give it an entity, a route or children`,
      );
    }
    if (item.children) checkMenuItems(ctx, document, [...base, index, 'children'], item.children, codes, ids);
  });
}

/** Roles, menus and field permissions reference entities, fields and permission codes that exist. */
export function checkSecurity(ctx: SemanticContext): void {
  const codes = knownPermissionCodes(ctx);
  checkRoles(ctx, codes);
  for (const { document, def } of ctx.documentsOf('menu'))
    checkMenuItems(ctx, document, ['items'], def.items, codes, new Set());
  for (const { document, def } of ctx.documentsOf('entity')) {
    for (const [name, field] of Object.entries(def.fields)) {
      for (const mode of ['read', 'write'] as const) {
        (field.permissions?.[mode] ?? []).forEach((code, i) =>
          checkCode(
            ctx,
            document,
            pointer('fields', name, 'permissions', mode, i),
            code,
            codes,
            'field-permission',
          ),
        );
      }
    }
  }
}
