import type {
  BulkRequest,
  BulkResult,
  EntityOperations,
  EntityRecord,
  FilterGroup,
  FilterNode,
  ListQuery,
  ListResult,
  ReadOptions,
  RequestContext,
} from '../crud/types';
import type { Model } from '../../../metadata/src/model';
import { NotFoundError } from '../crud/errors';
import { authorizeGet, authorizeRead, authorizeRowAction } from './authorization/authorize-read';
import { authorizeWrite } from './authorization/authorize-write';
import { writeAccessOf } from './authorization/write-access';
import { accessTo, entityOf } from './authorization/access';
import { redactRecord, redactRecords } from './authorization/redact';
import { AuthenticationError } from './auth/auth-errors';
import type { Principal, SecureContext } from './principal';

/**
 * EntityOperations with the security steps of the pipeline around the engine's: every read is
 * rewritten by `authorizeRead` and serialized through `redactRecord`; every write passes
 * `authorizeWrite` and reaches the engine with the principal's row scopes (`WriteAccess`), which the
 * engine compiles into the one read of the row it changes, so rows of another tenant or outside the
 * scope are 404, and into its reference checks and the check of the record as written. A context
 * without a principal is refused.
 */
export class SecureEntityOperations implements EntityOperations {
  constructor(private readonly inner: EntityOperations) {}

  parseListQuery(entity: string, rawQuery: Record<string, unknown>, model: Model): ListQuery {
    return this.inner.parseListQuery(entity, rawQuery, model);
  }

  async list(entity: string, query: ListQuery, ctx: RequestContext): Promise<ListResult> {
    const principal = principalOf(ctx);
    const result = await this.inner.list(entity, authorizeRead(principal, ctx.model, entity, query), ctx);
    return { ...result, items: redactRecords(principal, ctx.model, entity, result.items) };
  }

  async get(entity: string, id: number, ctx: RequestContext, opts?: ReadOptions): Promise<EntityRecord> {
    const principal = principalOf(ctx);
    return redactRecord(
      principal,
      ctx.model,
      entity,
      await this.readInScope(principal, entity, id, ctx, opts ?? {}, 'read'),
    );
  }

  async getByKey(
    entity: string,
    key: string,
    ctx: RequestContext,
    opts?: ReadOptions,
  ): Promise<EntityRecord> {
    const principal = principalOf(ctx);
    const found = await this.inner.getByKey(entity, key, ctx, { ...opts, fields: ['id'], expand: [] });
    return redactRecord(
      principal,
      ctx.model,
      entity,
      await this.readInScope(principal, entity, Number(found.id), ctx, opts ?? {}, 'read'),
    );
  }

  async create(entity: string, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord> {
    const principal = principalOf(ctx);
    authorizeWrite(principal, ctx.model, entity, 'create', body);
    const created = await this.inner.create(entity, body, withAccess(ctx, principal));
    return redactRecord(
      principal,
      ctx.model,
      entity,
      await this.visibleLinks(principal, entity, created, ctx),
    );
  }

  async update(entity: string, id: number, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord> {
    const principal = principalOf(ctx);
    authorizeWrite(principal, ctx.model, entity, 'update', body);
    const updated = await this.inner.update(entity, id, body, withAccess(ctx, principal));
    return redactRecord(
      principal,
      ctx.model,
      entity,
      await this.visibleLinks(principal, entity, updated, ctx),
    );
  }

  async remove(entity: string, id: number, ctx: RequestContext): Promise<void> {
    const principal = principalOf(ctx);
    authorizeWrite(principal, ctx.model, entity, 'delete');
    await this.inner.remove(entity, id, withAccess(ctx, principal));
  }

  async restore(entity: string, id: number, ctx: RequestContext): Promise<EntityRecord> {
    const principal = principalOf(ctx);
    authorizeWrite(principal, ctx.model, entity, 'restore');
    const restored = await this.inner.restore(entity, id, withAccess(ctx, principal));
    return redactRecord(
      principal,
      ctx.model,
      entity,
      await this.visibleLinks(principal, entity, restored, ctx),
    );
  }

  async bulk(entity: string, request: BulkRequest, ctx: RequestContext): Promise<BulkResult> {
    const principal = principalOf(ctx);
    if (request.mode === 'delete') {
      authorizeWrite(principal, ctx.model, entity, 'delete');
      return this.inner.bulk(entity, request, withAccess(ctx, principal));
    }
    const actions =
      request.mode === 'create' ? ['create'] : request.mode === 'update' ? ['update'] : ['create', 'update'];
    // The mode's permissions hold even for a request without rows, which then answers 403, not 200.
    for (const action of actions) authorizeWrite(principal, ctx.model, entity, action);
    for (const row of request.rows)
      for (const action of actions) authorizeWrite(principal, ctx.model, entity, action, row);
    return this.inner.bulk(entity, request, withAccess(ctx, principal));
  }

  /**
   * Checks a request on one row whose permission the caller was found to hold (a record's files and
   * comments): the row must be readable and, for an `<entity>:<action>` grant, inside that grant's
   * scope; else 404, like a row that does not exist.
   */
  async authorizeRowRequest(
    entity: string,
    id: number,
    ctx: RequestContext,
    action: string | null,
  ): Promise<void> {
    const principal = principalOf(ctx);
    await this.readInScope(principal, entity, id, ctx, { fields: ['id'] }, 'read');
    if (action !== null) await this.readInScope(principal, entity, id, ctx, {}, action);
  }

  /**
   * A written record as the principal may see its many-links: the linked records of a target read
   * under a restricted row scope narrowed by one scoped read of their ids (`<name>Ids` keep every
   * link, as in an expansion).
   */
  private async visibleLinks(
    principal: Principal,
    entity: string,
    record: EntityRecord,
    ctx: RequestContext,
  ): Promise<EntityRecord> {
    let visible = record;
    for (const field of entityOf(ctx.model, entity).fields) {
      const linked = field.many ? record[field.apiName] : undefined;
      if (!field.many || !Array.isArray(linked) || linked.length === 0) continue;
      const target = field.many.target;
      if (!accessTo(principal, ctx.model, target, 'read').allowed) continue;
      const ids = linked.map((row) => Number((row as EntityRecord).id));
      const query = authorizeRead(principal, ctx.model, target, {
        ...this.inner.parseListQuery(target, { fields: 'id', count: 'none' }, ctx.model),
        pageSize: ids.length,
        filter: { kind: 'and', conditions: [{ field: 'id', op: 'in', value: ids }] },
      });
      // No scope was added: every linked record is readable.
      if (query.filter.conditions.length === 1) continue;
      const inScope = new Set((await this.inner.list(target, query, ctx)).items.map((row) => row.id));
      visible = {
        ...visible,
        [field.apiName]: linked.filter((row) => inScope.has((row as EntityRecord).id)),
      };
    }
    return visible;
  }

  /** The row as the principal may see it for `action`, or 404 (another tenant, outside the scope, absent). */
  private async readInScope(
    principal: Principal,
    entity: string,
    id: number,
    ctx: RequestContext,
    opts: ReadOptions,
    action: string,
  ): Promise<EntityRecord> {
    const byId = authorizeGet(principal, ctx.model, entity, id, opts);
    const query =
      action === 'read'
        ? byId
        : {
            ...byId,
            fields: ['id'],
            expand: [],
            filter: scopedById(principal, ctx.model, entity, id, action),
          };
    const page = await this.inner.list(entity, query, ctx);
    if (page.items.length === 0) throw new NotFoundError(entity, id);
    return page.items[0];
  }
}

/** `id = ?` plus the scope of the grant for `action` (the update scope may differ from the read scope). */
function scopedById(
  principal: Principal,
  model: Model,
  entity: string,
  id: number,
  action: string,
): FilterGroup {
  const scope = authorizeRowAction(principal, model, entity, action);
  const byId: FilterNode = { field: 'id', op: 'eq', value: id };
  return { kind: 'and', conditions: scope ? [byId, scope] : [byId] };
}

/**
 * The context the engine receives: the principal's row and field rules attached, so the write path
 * compiles the row scope into its reads (the record before and after the write, and every record it
 * refers to), and out-of-scope rows answer like missing ones.
 */
export function withAccess(ctx: RequestContext, principal: Principal): RequestContext {
  return ctx.access ? ctx : { ...ctx, access: writeAccessOf(principal, ctx.model) };
}

export function principalOf(ctx: RequestContext): Principal {
  const principal = (ctx as Partial<SecureContext>).principal;
  if (!principal) throw new AuthenticationError();
  if (principal.tenantId !== ctx.tenantId)
    throw new AuthenticationError('Token tenant does not match the request');
  return principal;
}
