/**
 * The compact before/after form of a change: only what differs. Scalars appear under `changed` as
 * `[before, after]`, fields present on one side only under `added`/`removed`, and children arrays
 * (rows with an `id`) under `children` as added rows, removed rows and per-row changes.
 */
export interface AuditDiff {
  changed?: Record<string, [unknown, unknown]>;
  added?: Record<string, unknown>;
  removed?: Record<string, unknown>;
  children?: Record<string, ChildrenDiff>;
}

export interface ChildrenDiff {
  added?: Record<string, unknown>[];
  removed?: Record<string, unknown>[];
  changed?: { id: unknown; diff: AuditDiff }[];
}

type Row = Record<string, unknown>;

/** Bookkeeping columns every write touches; recording them would make every diff noisy. */
const IGNORED = new Set(['version', 'updatedAt', 'updatedBy', 'createdAt', 'createdBy']);

export function computeDiff(before: Row | null | undefined, after: Row | null | undefined): AuditDiff {
  const diff: AuditDiff = {};
  const old = before ?? {};
  const next = after ?? {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
    if (IGNORED.has(key)) continue;
    const inOld = key in old && old[key] !== undefined;
    const inNew = key in next && next[key] !== undefined;
    if (isRowArray(old[key]) || isRowArray(next[key])) {
      const children = diffChildren(asRows(old[key]), asRows(next[key]));
      if (children) (diff.children ??= {})[key] = children;
    } else if (inOld && !inNew) (diff.removed ??= {})[key] = old[key];
    else if (!inOld && inNew) (diff.added ??= {})[key] = next[key];
    else if (inOld && !sameValue(old[key], next[key])) (diff.changed ??= {})[key] = [old[key], next[key]];
  }
  return diff;
}

/** Names of the fields a diff touches, children included. */
export function changedFields(diff: AuditDiff): string[] {
  return [
    ...Object.keys(diff.changed ?? {}),
    ...Object.keys(diff.added ?? {}),
    ...Object.keys(diff.removed ?? {}),
    ...Object.keys(diff.children ?? {}),
  ].sort();
}

function diffChildren(before: Row[], after: Row[]): ChildrenDiff | null {
  const result: ChildrenDiff = {};
  const oldById = new Map(before.filter((r) => r.id !== undefined).map((r) => [String(r.id), r]));
  const seen = new Set<string>();
  for (const row of after) {
    const previous = row.id !== undefined ? oldById.get(String(row.id)) : undefined;
    if (!previous) {
      (result.added ??= []).push(row);
      continue;
    }
    seen.add(String(row.id));
    const rowDiff = computeDiff(previous, row);
    if (Object.keys(rowDiff).length > 0) (result.changed ??= []).push({ id: row.id, diff: rowDiff });
  }
  for (const row of before)
    if (row.id === undefined || !seen.has(String(row.id))) (result.removed ??= []).push(row);
  return Object.keys(result).length > 0 ? result : null;
}

function isRowArray(value: unknown): boolean {
  return Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
}

function asRows(value: unknown): Row[] {
  return Array.isArray(value) ? value.filter((v): v is Row => v !== null && typeof v === 'object') : [];
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
