import { Controller, Get, Inject, Optional, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations, EntityRecord, FilterNode } from '../../crud/types';
import type { EngineDatabase } from '../../data/database';
import type { ModelRegistry } from '../../kernel/model-registry';
import { LOOKUP_RECORDS } from '../../meta/lookup.controller';
import { lookupGrant } from '../../security/authorization/lookup-access';
import type { SecureContext } from '../../security/principal';
import { impactReport, type ImpactReport } from '../impact-report';
import { traceDetails, type RecordReader, type TraceDetails } from '../trace-details';
import { traceReport, type TraceReport } from '../trace-service';

/** Nest injection token for the EngineDatabase the trace queries run on. */
export const TRACE_DATABASE = Symbol('TraceDatabase');

/**
 * `GET /api/trace/reverse`, `/api/trace/forward` and `/api/trace/impact` (docs/traceability.md). The
 * genealogy walk reads the edge table; the records behind it (steps, tests, materials, inspections,
 * shipping, customers) are read through the caller's secured list.
 */
@Controller('api/trace')
@UseInterceptors(EnvelopeInterceptor)
export class TraceController {
  constructor(
    @Inject(TRACE_DATABASE) private readonly db: EngineDatabase,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Optional() @Inject(LOOKUP_RECORDS) private readonly records: Pick<EntityOperations, 'list'> | null,
  ) {}

  @Get('reverse')
  reverse(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    return this.trace('reverse', query, request);
  }

  @Get('forward')
  forward(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    return this.trace('forward', query, request);
  }

  @Get('impact')
  impact(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<ImpactReport> {
    const ctx = requestContext(request, this.models);
    return impactReport(this.db.executor(), recordReader(this.operations, this.records, ctx), {
      tenant: ctx.tenantId,
      query,
    });
  }

  private async trace(
    direction: 'reverse' | 'forward',
    query: Record<string, unknown>,
    request: FastifyRequest,
  ): Promise<TraceReport & { details: TraceDetails }> {
    const ctx = requestContext(request, this.models);
    const report = await traceReport(this.db.executor(), { tenant: ctx.tenantId, direction, query });
    return {
      ...report,
      details: await traceDetails(recordReader(this.operations, this.records, ctx), report),
    };
  }
}

/**
 * Reads through the secured list of the caller: an entity the caller may not read answers null, and
 * a relation the caller may not read is not expanded — its ids are named as the lookup names them
 * (`lookupGrant` 'label': the ids the caller's own rows hold, by display value and business key
 * only), or left bare.
 */
function recordReader(
  operations: EntityOperations,
  records: Pick<EntityOperations, 'list'> | null,
  ctx: SecureContext,
): RecordReader {
  const read = async (
    entity: string,
    conditions: FilterNode[],
    expand: string[],
    sort: string | undefined,
    limit: number,
  ) => {
    const raw: Record<string, unknown> = { pageSize: String(limit), count: 'none' };
    if (expand.length > 0) raw.expand = expand.join(',');
    if (sort) raw.sort = sort;
    const query = operations.parseListQuery(entity, raw, ctx.model);
    return (await operations.list(entity, { ...query, filter: { kind: 'and', conditions } }, ctx)).items;
  };
  const forbidden = async (attempt: () => Promise<unknown>): Promise<boolean> => {
    try {
      await attempt();
      return false;
    } catch (error) {
      if (error instanceof ForbiddenError) return true;
      throw error;
    }
  };
  const nothing: FilterNode[] = [{ field: 'id', op: 'eq', value: 0 }];
  return {
    model: ctx.model,
    list: async (entity, conditions, { expand = [], sort, limit }) => {
      try {
        return await read(entity, conditions, expand, sort, limit);
      } catch (error) {
        if (!(error instanceof ForbiddenError)) throw error;
      }
      if (await forbidden(() => read(entity, nothing, [], undefined, 1))) return null;
      const allowed: string[] = [];
      for (const name of expand)
        if (!(await forbidden(() => read(entity, nothing, [name], undefined, 1)))) allowed.push(name);
      let rows: EntityRecord[];
      try {
        rows = await read(entity, conditions, allowed, sort, limit);
      } catch (error) {
        if (error instanceof ForbiddenError) return null;
        throw error;
      }
      if (records)
        for (const name of expand.filter((name) => !allowed.includes(name)))
          await nameHeldIds(records, ctx, entity, name, rows);
      return rows;
    },
  };
}

/** Puts `{id, <label>, <key>}` of each id the rows hold in `name` where the lookup would name it. */
async function nameHeldIds(
  records: Pick<EntityOperations, 'list'>,
  ctx: SecureContext,
  entity: string,
  name: string,
  rows: EntityRecord[],
): Promise<void> {
  let grant;
  try {
    grant = lookupGrant(ctx.principal, ctx.model, entity, name, 'label');
  } catch (error) {
    if (error instanceof ForbiddenError) return;
    throw error;
  }
  const ids = [...new Set(rows.map((row) => row[`${name}Id`]).filter((id) => typeof id === 'number'))];
  const fields = [grant.labelField?.apiName, grant.keyField?.apiName].filter(
    (field): field is string => field !== undefined,
  );
  if (ids.length === 0 || fields.length === 0) return;
  const conditions: FilterNode[] = [{ field: 'id', op: 'in', value: ids }];
  if (grant.scope) conditions.push(grant.scope);
  const named = await records.list(
    grant.target.name,
    {
      page: 1,
      pageSize: ids.length,
      cursor: null,
      filter: { kind: 'and', conditions },
      sort: [{ field: 'id', direction: 'asc' }],
      fields: ['id', ...fields],
      expand: [],
      search: null,
      count: 'none',
      includeDeleted: false,
    },
    ctx,
  );
  const byId = new Map(named.items.map((row) => [Number(row.id), row]));
  for (const row of rows) {
    const target = byId.get(Number(row[`${name}Id`]));
    if (target) row[name] = target;
  }
}
