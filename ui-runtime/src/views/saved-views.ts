import { configureClient } from '../generated/client/runtime';
import { savedViews, type SavedViewRecord } from '../generated/client/saved-view';
import { sessionFetch } from '../api/http';
import type { FilterValue } from './list-query';

/** What a saved list view restores: quick search, filter bar, sort, visible columns and page size. */
export interface ViewDefinition {
  search: string;
  filters: Record<string, FilterValue>;
  sort: string | null;
  columns: string[];
  pageSize: number;
}

/** A view as stored on the server: a `saved_view` row of the signed-in user. */
export interface SavedView extends ViewDefinition {
  id: number;
  version: number;
  name: string;
  isDefault: boolean;
}

/** More views than anyone keeps for one list; the list is read in one page. */
const MAX_VIEWS = 200;

// The typed client sends the session's bearer token, read at each request (it changes on refresh).
configureClient({ fetch: (input, init) => sessionFetch(String(input), init) });

function definitionOf(raw: unknown): ViewDefinition {
  const value = (raw && typeof raw === 'object' ? raw : {}) as Partial<ViewDefinition>;
  return {
    search: typeof value.search === 'string' ? value.search : '',
    filters: value.filters && typeof value.filters === 'object' ? value.filters : {},
    sort: typeof value.sort === 'string' ? value.sort : null,
    columns: Array.isArray(value.columns) ? value.columns.filter((c) => typeof c === 'string') : [],
    pageSize: typeof value.pageSize === 'number' ? value.pageSize : 20,
  };
}

function toView(record: SavedViewRecord): SavedView {
  return {
    ...definitionOf(record.definition),
    id: record.id,
    version: record.version ?? 1,
    name: record.viewName ?? '',
    isDefault: record.isDefault === true,
  };
}

function definition(view: ViewDefinition): ViewDefinition {
  const { search, filters, sort, columns, pageSize } = view;
  return { search, filters, sort, columns, pageSize };
}

/** The caller's views of one entity, by name (the server's `own` scope keeps other users' views out). */
export async function loadViews(entity: string): Promise<SavedView[]> {
  const page = await savedViews.list({
    filter: { entityName: { eq: entity } },
    sort: ['viewName'],
    pageSize: MAX_VIEWS,
    count: 'none',
  });
  return page.items.map(toView);
}

/** Reads started before their list screen mounted, each waiting for that screen's first read. */
const prefetched = new Map<string, Promise<SavedView[]>>();

/**
 * Starts reading the caller's views of `entity` while the app is still starting, so the list does not
 * ask for them only once it has mounted (its rows wait for the default view).
 */
export function prefetchViews(entity: string): void {
  if (prefetched.has(entity)) return;
  const views = loadViews(entity);
  views.catch(() => prefetched.delete(entity));
  prefetched.set(entity, views);
}

/** The caller's views of `entity`: the read started at start-up, once, else a fresh one. */
export function initialViews(entity: string): Promise<SavedView[]> {
  const views = prefetched.get(entity);
  prefetched.delete(entity);
  return views ?? loadViews(entity);
}

/** Saves the view under its name, replacing the definition of an existing view of that name. */
export async function saveView(
  entity: string,
  name: string,
  view: ViewDefinition,
  existing: SavedView[],
): Promise<SavedView> {
  const same = existing.find((v) => v.name === name);
  const record = same
    ? await savedViews.update(same.id, { version: same.version, definition: definition(view) })
    : await savedViews.create({ entityName: entity, viewName: name, definition: definition(view) });
  return toView(record);
}

export async function deleteView(view: SavedView): Promise<void> {
  await savedViews.remove(view.id);
}

/** Makes `view` the one the list opens with (null: none), clearing the flag on the others. */
export async function setDefaultView(views: SavedView[], view: SavedView | null): Promise<void> {
  for (const other of views) {
    const wanted = other.id === view?.id;
    if (other.isDefault !== wanted)
      await savedViews.update(other.id, { version: other.version, isDefault: wanted });
  }
}

/** Where views were kept per user and entity before they moved to the server. */
function legacyKey(user: string, entity: string): string {
  return `mes.views.${user}.${entity}`;
}

/**
 * Moves views this browser still keeps in localStorage to the server, once: names the server already
 * has are left as they are there. The local copy is removed only after every view was stored.
 */
export async function importLocalViews(
  user: string,
  entity: string,
  existing: SavedView[],
): Promise<boolean> {
  const key = legacyKey(user, entity);
  const raw = localStorage.getItem(key);
  if (raw === null) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = [];
  }
  const local = Array.isArray(parsed) ? (parsed as { name?: unknown }[]) : [];
  const names = new Set(existing.map((v) => v.name));
  for (const view of local) {
    if (typeof view?.name !== 'string' || !view.name.trim() || names.has(view.name)) continue;
    await savedViews.create({ entityName: entity, viewName: view.name, definition: definitionOf(view) });
    names.add(view.name);
  }
  localStorage.removeItem(key);
  return true;
}
