import { didYouMean } from '../../suggest';
import type { EntityDef, EnumField, FieldDef, MetadataSet } from '../../types';

/** Columns every table has besides its declared fields (docs/architecture.md §4). */
export const SYSTEM_FIELDS: readonly string[] = [
  'id',
  'tenant_id',
  'created_at',
  'created_by',
  'updated_at',
  'updated_by',
  'version',
  'deleted_at',
];

export function fieldNames(entity: EntityDef): string[] {
  return Object.keys(entity.fields);
}

export function hasField(entity: EntityDef, name: string): boolean {
  return Object.hasOwn(entity.fields, name) || SYSTEM_FIELDS.includes(name);
}

export function enumValues(field: EnumField): string[] {
  return field.values.map((value) => (typeof value === 'string' ? value : value.value));
}

export function missingFieldMessage(entity: EntityDef, name: string): { message: string; hint?: string } {
  return {
    message: `entity \`${entity.entity}\` has no field \`${name}\``,
    hint: didYouMean(name, fieldNames(entity)),
  };
}

export type PathResolution =
  | { ok: true; field?: FieldDef; entity: EntityDef }
  | { ok: false; message: string; hint?: string }
  /** A hop leads to an entity that is declared but broken; its own diagnostics say why. */
  | { ok: 'unknown' };

/**
 * Follows a dot path (`item.item_type`) from an entity: every hop but the last must be a relation to
 * an existing entity, and the last a field of the entity reached. `field` is absent for system columns.
 */
export function resolveFieldPath(set: MetadataSet, entity: EntityDef, path: string): PathResolution {
  const segments = path.split('.');
  let current = entity;
  for (const [index, segment] of segments.entries()) {
    if (!hasField(current, segment)) return { ok: false, ...missingFieldMessage(current, segment) };
    const field = current.fields[segment] as FieldDef | undefined;
    if (index === segments.length - 1) return { ok: true, field, entity: current };
    if (field?.type !== 'relation') {
      return {
        ok: false,
        message: `\`${segment}\` in \`${path}\` is not a relation, so \`.${segments[index + 1]}\` cannot follow it`,
      };
    }
    const target = set.entities.get(field.to);
    if (!target) return { ok: 'unknown' };
    current = target;
  }
  return { ok: true, entity: current };
}

/**
 * Why a path cannot name a working calendar (a relation path ending at a `calendar`) or, with
 * `timeZone`, the text field naming a time zone; null when it can.
 */
export function calendarPathProblem(
  set: MetadataSet,
  entity: EntityDef,
  path: string,
  kind: 'calendar' | 'timeZone',
): { message: string; hint?: string } | null {
  const resolution = resolveFieldPath(set, entity, path);
  if (resolution.ok === 'unknown') return null;
  if (resolution.ok === false) return resolution;
  const field = resolution.field;
  if (kind === 'calendar' && (field?.type !== 'relation' || field.to !== 'calendar'))
    return {
      message: `\`${path}\` must be a relation to \`calendar\`, not ${field?.type ?? 'a system column'}`,
    };
  if (kind === 'timeZone' && field?.type !== 'string')
    return {
      message: `\`${path}\` must be a string field naming a time zone, not ${field?.type ?? 'a system column'}`,
    };
  return null;
}
