import type { LookupChoice } from '../../../platform/src/contracts/meta';
import { choiceLabel, lookupUrl } from '../api/display';
import { api } from '../api/http';

export interface Option {
  id: number;
  label: string;
}

/**
 * Choices for the relation field `field` of `entity` from the lookup projection: id and display
 * value, for every role that may set the field (no read on the target needed).
 */
export async function fetchOptions(entity: string, field: string, query: string): Promise<Option[]> {
  const params: Record<string, string> = { pageSize: '20' };
  if (query) params.search = query;
  return toOptions(await api<{ items: LookupChoice[] }>('GET', lookupUrl(entity, field, params)));
}

/** The labels of chosen ids, so a picker shows names for a value it did not list. */
export async function fetchChosen(entity: string, field: string, ids: number[]): Promise<Option[]> {
  if (ids.length === 0) return [];
  return toOptions(
    await api<{ items: LookupChoice[] }>('GET', lookupUrl(entity, field, { ids: ids.join(',') })),
  );
}

function toOptions(page: { items: LookupChoice[] }): Option[] {
  return page.items.map((choice) => ({ id: choice.id, label: choiceLabel(choice) }));
}
