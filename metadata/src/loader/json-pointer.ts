/** JSON pointers (RFC 6901), the path notation of diagnostics and ajv's instancePath. */

export function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...segments: (string | number)[]): string {
  return segments.map((segment) => `/${escapeSegment(segment)}`).join('');
}

export function appendPointer(base: string, ...segments: (string | number)[]): string {
  return base + pointer(...segments);
}

/** The pointer one level up; the root's parent is the root. */
export function parentPointer(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '' : path.slice(0, cut);
}
