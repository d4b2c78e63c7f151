import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import { SYSTEM_COLUMNS } from '../../../../metadata/src/model';
import type { EntityAccess } from '../../../../metadata/src/model/permissions';
import { ForbiddenError } from '../../crud/errors';
import type { FilterGroup, FilterNode, ListQuery, ReadOptions } from '../../crud/types';
import type { Principal } from '../principal';
import { canReadField, entityOf, mayUnmask, requireAccess } from './access';
import { scopeFilter } from './row-scope';

/** How rows leave the system: on screen (`read`) or as a file (`export`, which also needs read). */
export type ReadAction = 'read' | 'export';

const SYSTEM_API_NAMES = new Set(SYSTEM_COLUMNS.map((c) => c.apiName));

/**
 * The read step of the pipeline: rewrites a parsed list query so it can only reach what the principal
 * may see. Adds the row scope to the filter, narrows requested fields to readable ones, refuses
 * filters, sorts and searches over fields the principal may not read (a filter is an oracle), and
 * refuses expansions and dot paths into entities the principal may not read. The tenant condition
 * is added by the query compiler from `ctx.tenantId`, which must be the principal's tenant.
 */
export function authorizeRead(
  principal: Principal,
  model: Model,
  entityName: string,
  query: ListQuery,
  action: ReadAction = 'read',
): ListQuery {
  const entity = entityOf(model, entityName);
  if (action === 'export') requireAccess(principal, model, entityName, 'export');
  const access = requireAccess(principal, model, entityName, 'read');
  const checker = new PathChecker(principal, model);
  walkFilter(query.filter, (field) => checker.check(entity, access, field, 'filter'));
  for (const term of query.sort) checker.check(entity, access, term.field, 'sort');
  if (query.search !== null) checkSearch(principal, model, entity, access);
  const expandScopes: Record<string, FilterNode> = {};
  for (const name of query.expand) {
    const scope = checkExpansion(principal, model, entity, access, name);
    if (scope) expandScopes[name] = scope;
  }
  const fields =
    query.fields === null ? null : query.fields.filter((f) => checker.readable(entity, access, f));
  const scope = scopeFilter(principal, model, entity, access.scopes);
  const filter: FilterGroup = scope ? { kind: 'and', conditions: [query.filter, scope] } : query.filter;
  return { ...query, fields, filter, expandScopes };
}

/** A get by id as a one-row list query, so it passes the same scope and field rules as a list. */
export function authorizeGet(
  principal: Principal,
  model: Model,
  entityName: string,
  id: number,
  options: ReadOptions = {},
): ListQuery {
  return authorizeRead(principal, model, entityName, {
    page: 1,
    pageSize: 1,
    cursor: null,
    filter: { kind: 'and', conditions: [{ field: 'id', op: 'eq', value: id }] },
    sort: [{ field: 'id', direction: 'asc' }],
    fields: options.fields ?? null,
    expand: options.expand ?? [],
    search: null,
    count: 'none',
    includeDeleted: options.includeDeleted ?? false,
  });
}

/**
 * The row filter an update, delete, restore or workflow action must add when it loads the row it
 * changes (a row outside the scope is then a 404), or null for every row of the tenant. Throws 403
 * without the permission.
 */
export function authorizeRowAction(
  principal: Principal,
  model: Model,
  entityName: string,
  action: string,
): FilterNode | null {
  const entity = entityOf(model, entityName);
  const access = requireAccess(principal, model, entityName, action);
  return scopeFilter(principal, model, entity, access.scopes);
}

/**
 * Refuses (403 naming the path and where it was used) any API name or dot path the principal may not
 * read, or that crosses into rows outside their data scope: the rule filters and sorts follow, for
 * the other places a query names fields (aggregate groups and measures).
 */
export function authorizeReadPaths(
  principal: Principal,
  model: Model,
  entityName: string,
  paths: readonly { path: string; where: string }[],
): void {
  const entity = entityOf(model, entityName);
  const access = requireAccess(principal, model, entityName, 'read');
  const checker = new PathChecker(principal, model);
  for (const { path, where } of paths) checker.check(entity, access, path, where);
}

export function walkFilter(node: FilterNode, visit: (field: string) => void): void {
  if ('kind' in node) for (const child of node.conditions) walkFilter(child, visit);
  else visit(node.field);
}

function checkSearch(principal: Principal, model: Model, entity: CompiledEntity, access: EntityAccess): void {
  for (const name of entity.list.search ?? []) {
    const field = entity.fieldsByName.get(name);
    if (field && !canReadField(principal, model, access, field))
      throw new ForbiddenError(
        `Search covers '${field.apiName}', which you may not read`,
        forbiddenField(field.apiName, 'search'),
      );
  }
}

/**
 * Refuses an expansion the principal may not read; returns the row scope of the records it brings
 * (a relation's or many field's target; children are the parent's own rows), or null for all.
 */
function checkExpansion(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  access: EntityAccess,
  name: string,
): FilterNode | null {
  const field = entity.fieldsByApiName.get(name);
  if (!field) return null;
  if (!canReadField(principal, model, access, field))
    throw new ForbiddenError(`Field '${name}' may not be read`, forbiddenField(name, 'expand'));
  const target = field.relation?.target ?? field.children?.target ?? field.many?.target;
  if (!target) return null;
  const targetAccess = requireAccess(
    principal,
    model,
    target,
    'read',
    field.children ? entity.name : undefined,
  );
  if (field.children) return null;
  return scopeFilter(principal, model, entityOf(model, target), targetAccess.scopes);
}

/** Checks API names and dot paths (`item.name`) against field rules on every entity they cross. */
class PathChecker {
  constructor(
    private readonly principal: Principal,
    private readonly model: Model,
  ) {}

  check(entity: CompiledEntity, access: EntityAccess, path: string, where: string): void {
    const field = this.resolve(entity, access, path, where);
    if (field?.sensitive && !mayUnmask(this.principal, this.model, this.ownerOf(entity, path)))
      throw new ForbiddenError(
        `Field '${path}' is sensitive and cannot be used in ${where}`,
        forbiddenField(path, where),
      );
  }

  readable(entity: CompiledEntity, access: EntityAccess, path: string): boolean {
    try {
      this.resolve(entity, access, path, 'fields');
      return true;
    } catch (error) {
      if (error instanceof ForbiddenError) return false;
      throw error;
    }
  }

  /** The field a path ends on (undefined for system columns and names the engine will reject). */
  private resolve(
    entity: CompiledEntity,
    access: EntityAccess,
    path: string,
    where: string,
  ): CompiledField | undefined {
    const segments = path.split('.');
    let current = entity;
    let currentAccess = access;
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      if (last && SYSTEM_API_NAMES.has(segment)) return undefined;
      const field = fieldByApiName(current, segment);
      if (!field) return undefined;
      if (!canReadField(this.principal, this.model, currentAccess, field))
        throw new ForbiddenError(`Field '${path}' may not be read`, forbiddenField(path, where));
      if (last) return field;
      const target = field.relation ? this.model.entities.get(field.relation.target) : undefined;
      if (!target) return undefined;
      currentAccess = requireAccess(this.principal, this.model, target.name, 'read');
      if (scopeFilter(this.principal, this.model, target, currentAccess.scopes) !== null)
        throw new ForbiddenError(
          `'${path}' reaches ${target.name} rows outside your data scope`,
          forbiddenField(path, where),
        );
      current = target;
    }
    return undefined;
  }

  private ownerOf(entity: CompiledEntity, path: string): string {
    let current = entity;
    for (const segment of path.split('.').slice(0, -1)) {
      const target = current.fieldsByApiName.get(segment)?.relation?.target;
      const next = target ? this.model.entities.get(target) : undefined;
      if (!next) break;
      current = next;
    }
    return current.name;
  }
}

/** A field by API name, or a relation by its `<name>Id` property. */
export function fieldByApiName(entity: CompiledEntity, apiName: string): CompiledField | undefined {
  const direct = entity.fieldsByApiName.get(apiName);
  if (direct) return direct;
  if (apiName.endsWith('Ids')) {
    const many = entity.fieldsByApiName.get(apiName.slice(0, -3));
    if (many?.type === 'many') return many;
  }
  if (apiName.endsWith('Id')) {
    const relation = entity.fieldsByApiName.get(apiName.slice(0, -2));
    if (relation?.type === 'relation') return relation;
  }
  return undefined;
}

export function forbiddenField(
  field: string,
  where: string,
): { errors: { field: string; path: string; rule: string; message: string }[] } {
  return { errors: [{ field, path: `/${where}`, rule: 'permission', message: `Not permitted: ${field}` }] };
}
