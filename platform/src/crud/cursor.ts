import type { SortTerm } from './types';
import { BadRequestError } from './errors';

/** Keyset cursors: opaque base64url of the last row's sort values, bound to the sort they came from. */
interface CursorPayload {
  s: string;
  v: unknown[];
}

function signature(sort: readonly SortTerm[]): string {
  return sort.map((t) => `${t.direction === 'desc' ? '-' : ''}${t.field}`).join(',');
}

export function encodeCursor(sort: readonly SortTerm[], values: unknown[]): string {
  const payload: CursorPayload = { s: signature(sort), v: values };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Sort values after which the next page starts; null for the first page (empty cursor). */
export function decodeCursor(cursor: string, sort: readonly SortTerm[]): unknown[] | null {
  if (cursor === '') return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError('Malformed cursor', { parameter: 'cursor' });
  }
  const p = payload as Partial<CursorPayload> | null;
  if (!p || !Array.isArray(p.v) || p.v.length !== sort.length || typeof p.s !== 'string') {
    throw new BadRequestError('Malformed cursor', { parameter: 'cursor' });
  }
  if (p.s !== signature(sort)) {
    throw new BadRequestError('Cursor was issued for a different sort; restart from the first page', {
      parameter: 'cursor',
    });
  }
  if (p.v.some((v) => v !== null && typeof v !== 'string' && typeof v !== 'number')) {
    throw new BadRequestError('Malformed cursor', { parameter: 'cursor' });
  }
  return p.v;
}
