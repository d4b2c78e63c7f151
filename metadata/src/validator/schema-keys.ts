import type { SchemaObject } from 'ajv';
import { schemaByFileName } from './schemas';

function resolveRef(
  ref: string,
  root: SchemaObject,
): { schema: SchemaObject; root: SchemaObject } | undefined {
  const [fileName, fragment = ''] = ref.split('#');
  const base = fileName === '' ? root : schemaByFileName(fileName);
  if (!base) return undefined;
  let target: unknown = base;
  for (const segment of fragment.split('/').filter(Boolean)) {
    target = (target as Record<string, unknown> | undefined)?.[segment];
  }
  return target && typeof target === 'object' ? { schema: target as SchemaObject, root: base } : undefined;
}

function composedSchemas(
  schema: SchemaObject,
  root: SchemaObject,
): { schema: SchemaObject; root: SchemaObject }[] {
  const composed: SchemaObject[] = [...((schema.allOf as SchemaObject[] | undefined) ?? [])];
  if (typeof schema.$ref === 'string') composed.push({ $ref: schema.$ref });
  return composed.flatMap((part) => {
    const resolved = typeof part.$ref === 'string' ? resolveRef(part.$ref, root) : { schema: part, root };
    return resolved ? [resolved] : [];
  });
}

/**
 * The property names a schema object accepts: its own `properties` plus those of the schemas it
 * composes with `allOf`/`$ref` (field types extend the common field properties that way).
 */
export function allowedKeys(schema: SchemaObject, root: SchemaObject): string[] {
  const keys = new Set<string>(Object.keys((schema.properties as object | undefined) ?? {}));
  for (const part of composedSchemas(schema, root))
    allowedKeys(part.schema, part.root).forEach((key) => keys.add(key));
  return [...keys];
}

/** The property names a schema object requires, including through `allOf`/`$ref`. */
export function requiredKeys(schema: SchemaObject, root: SchemaObject): string[] {
  const keys = new Set<string>((schema.required as string[] | undefined) ?? []);
  for (const part of composedSchemas(schema, root))
    requiredKeys(part.schema, part.root).forEach((key) => keys.add(key));
  return [...keys];
}
