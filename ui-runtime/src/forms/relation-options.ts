import { apiNameOf } from '../api/entity-meta';
import { api } from '../api/http';
import type { EntityRecord, ListPage } from '../api/meta';

export interface Option {
  id: number;
  label: string;
}

/** Lookup choices for a relation: the target's quick search, labelled by its display field. */
export async function fetchOptions(path: string, displayField: string, query: string): Promise<Option[]> {
  const display = apiNameOf(displayField);
  const params = new URLSearchParams({ pageSize: '20', fields: `id,${display}` });
  if (query) params.set('search', query);
  const page = await api<ListPage<EntityRecord>>('GET', `/api/${path}?${params}`);
  return page.items.map((record) => toOption(record, display));
}

export async function fetchOption(path: string, displayField: string, id: number): Promise<Option | null> {
  const display = apiNameOf(displayField);
  const record = await api<EntityRecord>('GET', `/api/${path}/${id}?fields=id,${display}`);
  return record ? toOption(record, display) : null;
}

function toOption(record: EntityRecord, display: string): Option {
  return { id: record.id, label: String(record[display] ?? record.id) };
}
