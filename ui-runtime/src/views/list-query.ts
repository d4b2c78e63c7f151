import type { FieldMeta } from '../api/meta';

/** One filter bar value: enum values, a date range, a relation id, or text. */
export type FilterValue = string[] | [string, string] | number | string | null;

/** Query parameters for `GET /api/<path>` from the filter bar, following the server's `filter[field][op]`. */
export function filterParams(fields: FieldMeta[], values: Record<string, FilterValue>): URLSearchParams {
  const params = new URLSearchParams();
  for (const field of fields) {
    const value = values[field.name];
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
      continue;
    if (field.enumValues && Array.isArray(value)) {
      params.set(`filter[${field.apiName}][in]`, value.join(','));
    } else if ((field.type === 'date' || field.type === 'datetime') && Array.isArray(value)) {
      params.set(`filter[${field.apiName}][gte]`, value[0]);
      params.set(`filter[${field.apiName}][lte]`, value[1]);
    } else if (field.relation) {
      params.set(`filter[${field.apiName}][eq]`, String(value));
    } else if (field.type === 'string' || field.type === 'text') {
      params.set(`filter[${field.apiName}][contains]`, String(value));
    } else {
      params.set(`filter[${field.apiName}][eq]`, String(value));
    }
  }
  return params;
}

/** `-plannedStart` style sort from the table's sort event; relations sort by their id column. */
export function sortParam(
  field: FieldMeta | undefined,
  order: 'ascending' | 'descending' | null,
): string | null {
  if (!field || !order) return null;
  return `${order === 'descending' ? '-' : ''}${field.apiName}`;
}

/**
 * A dashboard drill-down opens the list with `?filter=<JSON filter>`; the list's own filters are
 * AND-ed to it, in the same JSON form (the API takes one or the other, not both).
 */
export function withDrillDown(params: URLSearchParams, drillDown: unknown): URLSearchParams {
  if (typeof drillDown !== 'string' || drillDown === '') return params;
  const own: Record<string, Record<string, string>> = {};
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    const match = /^filter\[([^\]]+)\]\[([^\]]+)\]$/.exec(key);
    if (!match) out.append(key, value);
    else own[match[1]] = { ...own[match[1]], [match[2]]: value };
  }
  out.set('filter', JSON.stringify({ and: [JSON.parse(drillDown) as unknown, own] }));
  return out;
}
