import type { LeafRef } from '../data/field-paths';
import type { EngineDatabase } from '../data/database';
import { compileAggregate } from '../data/aggregate-compiler';
import { runCompiled } from '../data/statements';
import { fromDbValue } from '../data/values';
import { NotFoundError } from '../crud/errors';
import type { RequestContext } from '../crud/types';
import { AuthenticationError } from '../security/auth/auth-errors';
import { authorizeAggregate } from '../security/authorization/authorize-aggregate';
import type { Principal, SecureContext } from '../security/principal';
import type { AggregateQuery, AggregateResult, Measure } from './aggregate-query';
import { CalendarStore } from './calendar-store';
import { RollupStore } from './rollup-store';
import { planRollup } from './rollups';
import { offsetPeriods } from './time-zone';

/**
 * Runs aggregates for the HTTP API, the KPIs and the dashboards: authorize (the list's rules, see
 * authorizeAggregate), compile to one GROUP BY statement over the rows or, when a rollup answers the
 * authorized query, over the rollup's cells, and convert the values to API values.
 */
export class AggregateEngine {
  /** `useRollups: false` always reads the rows (the bench's comparison, and MES_BI_ROLLUPS=off). */
  constructor(
    private readonly db: EngineDatabase,
    private readonly useRollups = true,
  ) {}

  /** The same engine reading the rows only (previews of drafts whose rollups do not exist yet). */
  rowsOnly(): AggregateEngine {
    return this.useRollups ? new AggregateEngine(this.db, false) : this;
  }

  async aggregate(entityName: string, query: AggregateQuery, ctx: RequestContext): Promise<AggregateResult> {
    const principal = principalOf(ctx);
    if (!ctx.model.entities.has(entityName)) throw new NotFoundError('entity', entityName);
    return this.run(entityName, authorizeAggregate(principal, ctx.model, entityName, query), ctx);
  }

  /**
   * The engine computing for itself (alert rules on a schedule): the tenant's rows without a
   * caller's permissions, as the rule runner reads records.
   */
  async aggregateAsEngine(
    entityName: string,
    query: AggregateQuery,
    ctx: RequestContext,
  ): Promise<AggregateResult> {
    if (!ctx.model.entities.has(entityName)) throw new NotFoundError('entity', entityName);
    return this.run(entityName, query, ctx);
  }

  private async run(
    entityName: string,
    query: AggregateQuery,
    ctx: RequestContext,
  ): Promise<AggregateResult> {
    const entity = ctx.model.entities.get(entityName)!;
    const exec = this.db.executor();
    const shifts = query.groupBy.some((term) => term.bucket === 'shift')
      ? await this.calendars(ctx).shifts()
      : [];
    const offsets = offsetPeriods(query.timeZone);
    const plan = this.useRollups
      ? await planRollup(ctx.model, entity, query, offsets, shifts, (rollup) =>
          new RollupStore(rollup).zonesOf(exec, ctx.tenantId),
        )
      : null;
    const compiled = compileAggregate(
      ctx.model,
      plan?.view ?? entity,
      plan?.query ?? query,
      ctx.tenantId,
      exec.dialect,
      offsets,
      shifts,
    );
    const rows = await runCompiled(exec, compiled);
    return {
      groupBy: query.groupBy.map((term) => term.key),
      measures: query.measures.map((measure) => measure.key),
      timeZone: query.timeZone,
      rows: rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (const term of query.groupBy) {
          const value = row[compiled.columns.get(term.key)!];
          out[term.key] =
            term.bucket === null ? fromDbValue(compiled.leaves.get(term.key)?.columnType, value) : value;
        }
        for (const measure of query.measures)
          out[measure.key] = measureValue(measure, row[compiled.columns.get(measure.key)!], compiled.leaves);
        return out;
      }),
    };
  }

  /** The tenant's shifts and working calendars (shift buckets, planned production time). */
  calendars(ctx: RequestContext): CalendarStore {
    return new CalendarStore(this.db.executor(), ctx.model, ctx.tenantId);
  }
}

function measureValue(measure: Measure, value: unknown, leaves: Map<string, LeafRef>): unknown {
  if (value === null || value === undefined) return null;
  if (measure.fn === 'min' || measure.fn === 'max') {
    const type = leaves.get(measure.key)?.columnType;
    return type === 'int' || type === 'decimal' ? cleanNumber(value) : fromDbValue(type, value);
  }
  return cleanNumber(value);
}

/** Drivers return decimals as text (MariaDB) or binary floats (SQLite); 15 significant digits drop the noise. */
function cleanNumber(value: unknown): number {
  return Number(Number(value).toPrecision(15));
}

function principalOf(ctx: RequestContext): Principal {
  const principal = (ctx as Partial<SecureContext>).principal;
  if (!principal) throw new AuthenticationError();
  if (principal.tenantId !== ctx.tenantId)
    throw new AuthenticationError('Token tenant does not match the request');
  return principal;
}
