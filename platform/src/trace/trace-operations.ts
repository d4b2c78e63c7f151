import type { EngineDatabase } from '../data/database';
import { ForbiddenError } from '../crud/errors';
import type { EntityOperations, EntityRecord, FilterNode } from '../crud/types';
import { lookupGrant } from '../security/authorization/lookup-access';
import type { SecureContext } from '../security/principal';
import { impactReport, type ImpactReport } from './impact-report';
import { traceDetails, type RecordReader, type TraceDetails } from './trace-details';
import type { TraceDirection } from './trace-query';
import { traceReport, type TraceReport } from './trace-service';

/** A reverse or forward trace with the records behind it. */
export type DetailedTraceReport = TraceReport & { details: TraceDetails };

/**
 * The trace engine of a caller (docs/traceability.md): the genealogy walk reads the edge table; the
 * records behind it (steps, tests, materials, inspections, shipping, customers) are read through the
 * caller's secured list, so they show only what the caller may read. Which traces the caller may run
 * and which nodes of the walk they may see is SecureTraceOperations' part.
 */
export class TraceOperations {
  constructor(
    private readonly db: EngineDatabase,
    private readonly operations: EntityOperations,
    private readonly records: Pick<EntityOperations, 'list'> | null,
  ) {}

  async trace(
    ctx: SecureContext,
    direction: TraceDirection,
    query: Readonly<Record<string, unknown>>,
  ): Promise<DetailedTraceReport> {
    const report = await traceReport(this.db.executor(), { tenant: ctx.tenantId, direction, query });
    return {
      ...report,
      details: await traceDetails(recordReader(this.operations, this.records, ctx), report),
    };
  }

  /** The impact report, counted from the forward trace as `visible` leaves it for the caller. */
  impact(
    ctx: SecureContext,
    query: Readonly<Record<string, unknown>>,
    visible: (trace: TraceReport) => Promise<TraceReport>,
  ): Promise<ImpactReport> {
    return impactReport(
      this.db.executor(),
      recordReader(this.operations, this.records, ctx),
      { tenant: ctx.tenantId, query },
      visible,
    );
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
