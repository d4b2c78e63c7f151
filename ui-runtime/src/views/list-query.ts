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
