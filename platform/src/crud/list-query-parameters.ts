/**
 * The query parameters of a list request, declared once: the query parser accepts exactly these
 * names and the OpenAPI document describes them from the same declaration.
 */
import type { CountMode, FilterOperator } from './types';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 500;

export const FILTER_OPERATORS: readonly FilterOperator[] = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'nin',
  'contains',
  'startsWith',
  'between',
  'null',
  'notNull',
];

export const COUNT_MODES: readonly CountMode[] = ['exact', 'estimated', 'none'];

/** A query parameter as OpenAPI describes it (`in: query`). */
export interface QueryParameterDeclaration {
  description: string;
  schema: Record<string, unknown>;
  /** `deepObject` for bracketed names (`filter[status][in]=A,B`). */
  style?: 'deepObject';
}

export const LIST_QUERY_PARAMETERS = {
  page: {
    description: '1-based page (offset paging); not together with cursor',
    schema: { type: 'integer', minimum: 1, default: 1 },
  },
  pageSize: {
    description: "Rows per page (default: the entity's list page size)",
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  cursor: {
    description: "Keyset cursor from nextCursor; '' for the first keyset page",
    schema: { type: 'string' },
  },
  filter: {
    description:
      `filter[field][op]=value with ${FILTER_OPERATORS.join(', ')}; dot paths through relations. ` +
      'Also a JSON string with and/or groups',
    style: 'deepObject',
    schema: { type: 'object', additionalProperties: true },
  },
  sort: {
    description: 'Comma-separated API names, `-` for descending',
    schema: { type: 'string' },
  },
  fields: {
    description: 'Comma-separated API names or relation dot paths',
    schema: { type: 'string' },
  },
  expand: {
    description: 'Comma-separated relation, many and children fields to expand',
    schema: { type: 'string' },
  },
  search: {
    description: 'Text over the declared search fields',
    schema: { type: 'string' },
  },
  count: {
    description: 'How total is computed',
    schema: { enum: [...COUNT_MODES], default: 'exact' },
  },
  includeDeleted: {
    description: 'Include soft-deleted rows',
    schema: { type: 'boolean', default: false },
  },
} as const satisfies Record<string, QueryParameterDeclaration>;

export type ListQueryParameter = keyof typeof LIST_QUERY_PARAMETERS;

export const LIST_QUERY_PARAMETER_NAMES = Object.keys(LIST_QUERY_PARAMETERS) as ListQueryParameter[];
