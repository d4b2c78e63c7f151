import type { Model } from '../../../../metadata/src/model';
import type { AggregateQuery, Measure } from '../../bi/aggregate-query';
import type { Principal } from '../principal';
import { authorizeRead, authorizeReadPaths, walkFilter } from './authorize-read';

/**
 * The read step for aggregates: the rows are the list's rows, rewritten by `authorizeRead` (entity
 * read permission, row scope, filter and search over readable fields), and every field grouped by,
 * aggregated or compared must be readable as a filter's would be (a group or a sum is an oracle for
 * the value). The tenant condition is added by the compiler from `ctx.tenantId`.
 */
export function authorizeAggregate(
  principal: Principal,
  model: Model,
  entityName: string,
  query: AggregateQuery,
): AggregateQuery {
  const rows = authorizeRead(principal, model, entityName, query.rows);
  const paths = [
    ...query.groupBy.map((term) => ({ path: term.field, where: 'groupBy' })),
    ...query.measures.flatMap((measure) => measurePaths(measure)),
  ];
  authorizeReadPaths(principal, model, entityName, paths);
  return { ...query, rows };
}

function measurePaths(measure: Measure): { path: string; where: string }[] {
  if (measure.fn === 'ratio')
    return [...measurePaths(measure.numerator), ...measurePaths(measure.denominator)];
  const paths: { path: string; where: string }[] = [];
  for (const path of [measure.field, measure.times, measure.minus])
    if (path) paths.push({ path, where: 'measures' });
  if (measure.where) walkFilter(measure.where, (path) => paths.push({ path, where: 'measures' }));
  if (measure.compare)
    paths.push(
      { path: measure.compare.field, where: 'measures' },
      { path: measure.compare.otherField, where: 'measures' },
    );
  return paths;
}
