/**
 * Querystring of single-record reads (`GET /:id`, `GET /by-code/:code`): only `fields`, `expand`
 * and `includeDeleted` are accepted; any other name is a 400 so typos never pass silently.
 */
import { BadRequestError, UnknownFieldError } from '../errors';
import type { ReadOptions } from '../types';

const READ_PARAMS = new Set(['fields', 'expand', 'includeDeleted']);

export function parseReadOptions(query: Record<string, unknown>): ReadOptions {
  for (const name of Object.keys(query))
    if (!READ_PARAMS.has(name)) throw new UnknownFieldError(name, 'query');
  const options: ReadOptions = {};
  if (query.fields !== undefined) options.fields = nameList(query.fields, 'fields');
  if (query.expand !== undefined) options.expand = nameList(query.expand, 'expand');
  if (query.includeDeleted !== undefined)
    options.includeDeleted = flag(query.includeDeleted, 'includeDeleted');
  return options;
}

/** `a,b` or repeated `x=a&x=b` → names. */
export function nameList(value: unknown, param: string): string[] {
  const parts = Array.isArray(value) ? value : [value];
  if (!parts.every((p) => typeof p === 'string'))
    throw new BadRequestError(`Query parameter '${param}' must be a comma-separated list`);
  return (parts as string[])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export function flag(value: unknown, param: string): boolean {
  if (value === 'true' || value === '1' || value === '') return true;
  if (value === 'false' || value === '0') return false;
  throw new BadRequestError(`Query parameter '${param}' must be true or false`);
}

/** Route `:id` → positive integer id. */
export function parseId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1) {
    throw new BadRequestError(`'${raw}' is not a record id (a positive integer)`, {
      errors: [{ field: 'id', path: '/params/id', rule: 'type', message: 'Must be a positive integer' }],
    });
  }
  return id;
}
