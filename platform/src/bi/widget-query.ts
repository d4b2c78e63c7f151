/**
 * Builds the aggregate and list queries of dashboard widgets and KPIs from their metadata and the
 * dashboard's shared filters (plant, line, date range). Everything goes through the list's parser,
 * so a metadata condition is checked and converted exactly like a request's `filter`.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { DashboardDimensions, DashboardGroupBy, DashboardMeasure } from '../../../metadata/src/types';
import type { AppliedFilters } from '../contracts/bi';
import { NotFoundError } from '../crud/errors';
import type { FilterGroup, ListQuery } from '../crud/types';
import { parseGroupTerm, type BasicMeasure, type GroupTerm } from './aggregate-query';
import { apiPath, convertCondition, UnsupportedConditionError } from './expression-query';

/** The dashboard's shared filters as the caller set them. */
export type { AppliedFilters };

export interface SharedFilters {
  plantId: number | null;
  lineId: number | null;
  shiftId: number | null;
  /** ISO instants; `from` inclusive, `to` exclusive. */
  from: string | null;
  to: string | null;
  timeZone: string;
}

export type ListParser = (entity: string, raw: Record<string, unknown>, model: Model) => ListQuery;

/** Which shared filters a widget's rows honour (the UI says so when one does not apply). */
export class WidgetQueries {
  constructor(
    private readonly model: Model,
    private readonly parseList: ListParser,
  ) {}

  entity(name: string): CompiledEntity {
    const entity = this.model.entities.get(name);
    if (!entity) throw new NotFoundError('entity', name);
    return entity;
  }

  /** The list-syntax filter of a metadata condition plus the shared filters the dimensions allow. */
  rowFilter(
    entity: CompiledEntity,
    condition: string | undefined,
    dimensions: DashboardDimensions | undefined,
    filters: SharedFilters,
  ): { filter: Record<string, unknown>; applied: AppliedFilters } {
    const parts: Record<string, unknown>[] = [];
    if (condition) {
      const converted = convertCondition(this.model, entity, condition);
      if (converted.compare)
        throw new UnsupportedConditionError(condition, 'only a measure condition may compare two fields');
      if (converted.filter) parts.push(converted.filter);
    }
    const path = (metadataPath: string) => apiPath(this.model, entity, metadataPath.split('.'), metadataPath);
    const applied: AppliedFilters = { plant: false, line: false, shift: false, dateRange: false };
    if (filters.plantId !== null && dimensions?.plant) {
      parts.push({ [path(dimensions.plant)]: { eq: filters.plantId } });
      applied.plant = true;
    }
    if (filters.lineId !== null && dimensions?.line) {
      parts.push({ [path(dimensions.line)]: { eq: filters.lineId } });
      applied.line = true;
    }
    if (filters.shiftId !== null && dimensions?.shift) {
      parts.push({ [path(dimensions.shift)]: { eq: filters.shiftId } });
      applied.shift = true;
    }
    if ((filters.from !== null || filters.to !== null) && dimensions?.time) {
      const range: Record<string, string> = {};
      if (filters.from !== null) range.gte = filters.from;
      if (filters.to !== null) range.lt = filters.to;
      parts.push({ [path(dimensions.time)]: range });
      applied.dateRange = true;
    }
    return { filter: { and: parts }, applied };
  }

  rows(
    entity: CompiledEntity,
    filter: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): ListQuery {
    return this.parseList(
      entity.name,
      { ...extra, filter: JSON.stringify(filter), count: 'none' },
      this.model,
    );
  }

  measure(entity: CompiledEntity, key: string, measure: DashboardMeasure): BasicMeasure {
    const field = measure.field ? this.path(entity, measure.field) : null;
    const arithmetic = {
      times: measure.times ? this.path(entity, measure.times) : null,
      minus: measure.minus ? this.path(entity, measure.minus) : null,
    };
    if (!measure.where) return { key, fn: measure.fn, field, where: null, compare: null, ...arithmetic };
    const converted = convertCondition(this.model, entity, measure.where);
    return {
      key,
      fn: measure.fn,
      field,
      ...arithmetic,
      where: converted.filter ? this.filterGroup(entity, converted.filter) : null,
      compare: converted.compare,
    };
  }

  /** A list-syntax filter parsed into the filter tree (values converted for the columns). */
  filterGroup(entity: CompiledEntity, filter: Record<string, unknown>): FilterGroup {
    return this.rows(entity, filter).filter;
  }

  groupTerm(entity: CompiledEntity, groupBy: DashboardGroupBy): GroupTerm {
    const field = typeof groupBy === 'string' ? groupBy : groupBy.field;
    const bucket = typeof groupBy === 'string' ? undefined : groupBy.bucket;
    const term = this.path(entity, field) + (bucket ? `:${bucket}` : '');
    return parseGroupTerm(this.model, entity.name, term);
  }

  /** Metadata path → API path (a relation at the end reads its id). */
  path(entity: CompiledEntity, metadataPath: string): string {
    return apiPath(this.model, entity, metadataPath.split('.'), metadataPath);
  }
}
