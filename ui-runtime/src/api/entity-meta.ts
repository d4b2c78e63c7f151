import type { FormKitSchemaDefinition } from '@formkit/core';
import type { ServedForm } from '../../../platform/src/contracts/ui';
import { api } from './http';
import type { EntityMeta, FieldMeta } from './meta';

const cache = new Map<string, Promise<EntityMeta>>();

/** Metadata of an entity by path or name, fetched once per page load (the Model can change between loads). */
export function entityMeta(pathOrName: string): Promise<EntityMeta> {
  let meta = cache.get(pathOrName);
  if (!meta) {
    meta = api<EntityMeta>('GET', `/api/meta/entities/${encodeURIComponent(pathOrName)}`);
    meta.catch(() => cache.delete(pathOrName));
    cache.set(pathOrName, meta);
  }
  return meta;
}

export function fieldByName(meta: EntityMeta, name: string): FieldMeta | undefined {
  return meta.fields.find((f) => f.name === name || f.apiName === name);
}

export { apiNameOf, recordTitle } from './display';

/** A form definition as `mes generate` writes it and `GET /api/ui/forms/:entity` serves it, ready for FormKit. */
export type FormDefinition = Omit<ServedForm, 'schema'> & { schema: FormKitSchemaDefinition };

/** The generated form definitions (ui-runtime/src/generated/forms), loaded when first needed. */
const generatedForms = import.meta.glob<FormDefinition>('../generated/forms/*.form.json', {
  import: 'default',
});

/**
 * The form of an entity for the signed-in user. The generated definition of a shipped entity is the
 * form while the live Model serves the same one for this user; the server answers with a schema of
 * its own only when it differs — extension fields, the tenant's overlay, a published change, fields
 * the user may not read or write — or the entity has no generated definition.
 */
export async function formDefinition(entityName: string): Promise<FormDefinition> {
  const load = generatedForms[`../generated/forms/${entityName.replace(/_/g, '-')}.form.json`];
  const generated = load ? await load() : undefined;
  const query = generated ? `?base=${encodeURIComponent(generated.hash)}` : '';
  const served = await api<ServedForm>('GET', `/api/ui/forms/${encodeURIComponent(entityName)}${query}`);
  if (served.schema !== null) return { ...served, schema: served.schema as FormKitSchemaDefinition };
  if (!generated) throw new Error(`no form definition of ${entityName}`);
  return generated;
}
