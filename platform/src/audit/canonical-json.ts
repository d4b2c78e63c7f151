/**
 * JSON with object keys sorted at every level: equal values always give equal text (and hashes).
 * Sealed audit records are hashed over this text, so it never changes: a property test holds it
 * to JSON.stringify of sorted copies made with `Object.fromEntries`, as it was first written.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    const item = source[key];
    if (item === undefined) continue;
    const copy = item !== null && typeof item === 'object' ? sortKeys(item) : item;
    // A key `__proto__` is a property of the record like any other, not the copy's prototype.
    if (key === '__proto__') Object.defineProperty(sorted, key, { value: copy, enumerable: true });
    else sorted[key] = copy;
  }
  return sorted;
}
