import type { ListDefinition, ServedList } from '../../../platform/src/contracts/list';
import { api } from './http';
import type { EntityMeta, FieldMeta } from './meta';

export type { ListColumn, ListDefinition, ListFilter } from '../../../platform/src/contracts/list';

/** The generated list definitions (ui-runtime/src/generated/lists), loaded when first needed. */
const generatedLists = import.meta.glob<ListDefinition>('../generated/lists/*.list.json', {
  import: 'default',
});

/**
 * The list of an entity for the signed-in user. The generated definition of a shipped entity is the
 * list while the live Model serves the same one for this user; the server answers with a list of its
 * own only when it differs — a published change, the tenant's extension fields, fields the user may
 * not read — or the entity has no generated definition (one added at run time).
 */
export async function listDefinition(entityName: string): Promise<ListDefinition> {
  const load = generatedLists[`../generated/lists/${entityName.replace(/_/g, '-')}.list.json`];
  const generated = load ? await load() : undefined;
  const query = generated ? `?base=${encodeURIComponent(generated.hash)}` : '';
  const served = await api<ServedList>('GET', `/api/ui/lists/${encodeURIComponent(entityName)}${query}`);
  if (served.list !== null) return { ...served.list, hash: served.hash };
  if (!generated) throw new Error(`no list definition of ${entityName}`);
  return generated;
}

/**
 * The field a list column, filter or sort term names (the record property, `itemId` for a relation);
 * undefined for a field the caller's metadata does not hold, such as a system column.
 */
export function listField(meta: EntityMeta, property: string): FieldMeta | undefined {
  return meta.fields.find((f) => f.property === property);
}
