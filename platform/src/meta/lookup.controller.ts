import { Controller, Get, Inject, Param, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CompiledEntity } from '../../../metadata/src/model';
import type { LookupChoice } from '../contracts/meta';
import { BadRequestError, NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { EntityOperations, FilterNode } from '../crud/types';
import type { ModelRegistry } from '../kernel/model-registry';
import { lookupGrant, type LookupGrant } from '../security/authorization/lookup-access';

/** Nest token of the engine's unsecured reads, which the lookup calls after its own authorization. */
export const LOOKUP_RECORDS = Symbol('LookupRecords');

const MAX_CHOICES = 50;
const MAX_IDS = 200;

/**
 * `GET /api/lookup/:entity/:field?search=&ids=1,2&pageSize=20`: the records the relation (or many)
 * field `:field` of `:entity` may point at, as id, display value and business key. A relation picker
 * needs only this, so it works for every role that may set the field, even without read on the target
 * (see `lookupGrant` for the rule). `ids` alone answers the labels of ids a record holds (a reader
 * of the field may ask); `search` matches any part of the label or key.
 */
@Controller('api/lookup')
@UseInterceptors(EnvelopeInterceptor)
export class LookupController {
  constructor(
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(LOOKUP_RECORDS) private readonly records: Pick<EntityOperations, 'list'>,
  ) {}

  @Get(':entity/:field')
  async lookup(
    @Param('entity') entityName: string,
    @Param('field') fieldName: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<{ items: LookupChoice[] }> {
    const ctx = requestContext(request, this.models);
    const source = ctx.model.entities.get(entityName) ?? ctx.model.entitiesByPath.get(entityName);
    if (!source) throw new NotFoundError('entity', entityName);
    let ids = idList(query.ids);
    const search = typeof query.search === 'string' ? query.search.trim() : '';
    const purpose = ids && !search ? 'label' : 'choose';
    const grant = lookupGrant(ctx.principal, ctx.model, source.name, fieldName, purpose);
    if (ids && grant.heldBy) ids = await this.idsHeld(grant.heldBy, ids, ctx);
    if (ids?.length === 0) return { items: [] };
    const label = grant.labelField?.apiName ?? 'id';
    const key = grant.keyField?.apiName ?? null;
    const conditions: FilterNode[] = [];
    if (ids) conditions.push({ field: 'id', op: 'in', value: ids });
    if (search) conditions.push(searchFilter(grant.target, search, label, key));
    if (grant.scope) conditions.push(grant.scope);
    const result = await this.records.list(
      grant.target.name,
      {
        page: 1,
        pageSize: ids ? ids.length : pageSize(query.pageSize),
        cursor: null,
        filter: { kind: 'and', conditions },
        sort: [
          ...(label === 'id' ? [] : [{ field: label, direction: 'asc' as const }]),
          { field: 'id', direction: 'asc' },
        ],
        fields: ['id', label, ...(key && key !== label ? [key] : [])],
        expand: [],
        search: null,
        count: 'none',
        includeDeleted: false,
      },
      ctx,
    );
    return {
      items: result.items.map((row) => ({
        id: Number(row.id),
        label: String(row[label] ?? row.id),
        key: key && key !== label && row[key] != null ? String(row[key]) : null,
      })),
    };
  }

  /** The ids among `ids` that some source row inside the caller's read scope points at. */
  private async idsHeld(
    heldBy: NonNullable<LookupGrant['heldBy']>,
    ids: number[],
    ctx: ReturnType<typeof requestContext>,
  ): Promise<number[]> {
    // A relation is filtered by its API name and answered as `<name>Id`.
    const column = heldBy.field.apiName;
    const conditions: FilterNode[] = [{ field: column, op: 'in', value: ids }];
    if (heldBy.scope) conditions.push(heldBy.scope);
    const held = new Set<number>();
    let cursor: string | null = null;
    do {
      const page = await this.records.list(
        heldBy.source.name,
        {
          page: cursor ? null : 1,
          pageSize: MAX_IDS,
          cursor,
          filter: { kind: 'and', conditions },
          sort: [{ field: 'id', direction: 'asc' }],
          fields: ['id', column],
          expand: [],
          search: null,
          count: 'none',
          includeDeleted: false,
        },
        ctx,
      );
      for (const row of page.items) held.add(Number(row[`${column}Id`]));
      cursor = held.size < ids.length ? page.nextCursor : null;
    } while (cursor);
    return ids.filter((id) => held.has(id));
  }
}

function searchFilter(target: CompiledEntity, search: string, label: string, key: string | null): FilterNode {
  const fields = [label, key].filter((f): f is string => f !== null && f !== 'id');
  const numeric = /^\d+$/.test(search) ? [{ field: 'id', op: 'eq' as const, value: Number(search) }] : [];
  if (fields.length === 0 && numeric.length === 0)
    throw new BadRequestError(`${target.name} has no label to search`);
  return {
    kind: 'or',
    conditions: [...fields.map((field) => ({ field, op: 'contains' as const, value: search })), ...numeric],
  };
}

function idList(raw: unknown): number[] | null {
  if (typeof raw !== 'string' || raw === '') return null;
  const ids = raw.split(',').map(Number);
  if (ids.length > MAX_IDS || ids.some((id) => !Number.isSafeInteger(id) || id <= 0))
    throw new BadRequestError(`ids must be at most ${MAX_IDS} positive integers`, {
      errors: [
        {
          field: 'ids',
          path: '/query/ids',
          rule: 'type',
          message: 'ids must be positive integers, comma-separated',
        },
      ],
    });
  return [...new Set(ids)];
}

function pageSize(raw: unknown): number {
  const size = Number(raw ?? 20);
  return Number.isInteger(size) && size > 0 ? Math.min(size, MAX_CHOICES) : 20;
}
