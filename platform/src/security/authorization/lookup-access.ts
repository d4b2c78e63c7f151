import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import { ForbiddenError, NotFoundError } from '../../crud/errors';
import type { FilterNode } from '../../crud/types';
import type { Principal } from '../principal';
import { accessTo, canReadField, canWriteField, entityOf } from './access';
import { scopeFilter } from './row-scope';

/** What a lookup through one relation field may return: the target, its label field and the row filter. */
export interface LookupGrant {
  target: CompiledEntity;
  /** The target field whose value labels a choice (the relation's display). */
  labelField: CompiledField | null;
  /** The target's business key, shown beside the label when it differs. */
  keyField: CompiledField | null;
  /** Row filter on the target; null: every row of the tenant. */
  scope: FilterNode | null;
  /**
   * Set when the caller may only label ids (reads the field, neither reads the target nor sets the
   * field): an id is named only if a source row inside the caller's read scope holds it, so the
   * lookup cannot be used to name arbitrary target rows.
   */
  heldBy: { source: CompiledEntity; field: CompiledField; scope: FilterNode | null } | null;
}

/** `choose`: search the records a field may point at; `label`: name the ids a record already holds. */
export type LookupPurpose = 'choose' | 'label';

/**
 * A lookup lists the id and display value of the records a relation field may point at. The caller
 * needs either read on the target (its read scope applies) or the right to set the field (create or
 * update on the source with the field writable); the second matches the write path, whose reference
 * check lets a caller refer to any row of the tenant of a target it cannot read. To label ids it
 * already holds (a list showing names, not ids), reading the field on the source is enough. Nothing
 * but the id, the display field and the business key ever leaves: a sensitive or unreadable label is
 * dropped.
 */
export function lookupGrant(
  principal: Principal,
  model: Model,
  sourceName: string,
  fieldName: string,
  purpose: LookupPurpose,
): LookupGrant {
  const source = entityOf(model, sourceName);
  const field = source.fieldsByName.get(fieldName) ?? source.fieldsByApiName.get(fieldName);
  const targetName = field?.relation?.target ?? field?.many?.target;
  if (!field || !targetName) throw new NotFoundError('relation field', `${sourceName}.${fieldName}`);
  const target = entityOf(model, targetName);
  const parent = source.owned ? ownerOf(model, source) : undefined;
  const read = accessTo(principal, model, target.name, 'read');
  const setsField = ['create', 'update'].some((action) => {
    const access = accessTo(principal, model, source.name, action, parent);
    return access.allowed && canWriteField(principal, model, access, field);
  });
  const readsField = () => {
    const access = accessTo(principal, model, source.name, 'read', parent);
    return access.allowed && canReadField(principal, model, access, field);
  };
  if (!read.allowed && !setsField && !(purpose === 'label' && readsField()))
    throw new ForbiddenError(
      `Permission '${target.name}:read' or the right to set '${source.name}.${field.name}' required`,
      {
        permission: `${target.name}:read`,
      },
    );
  const shown = (name: string | undefined): CompiledField | null => {
    const candidate = name ? target.fieldsByName.get(name) : undefined;
    if (!candidate || candidate.sensitive || candidate.storage !== 'column' || candidate.relation)
      return null;
    if (read.allowed && !canReadField(principal, model, read, candidate)) return null;
    if (!read.allowed && candidate.hidden) return null;
    return candidate;
  };
  let heldBy: LookupGrant['heldBy'] = null;
  if (!read.allowed && !setsField) {
    if (!field.relation)
      throw new ForbiddenError(
        `Permission '${target.name}:read' required to name the records of '${field.name}'`,
        {
          permission: `${target.name}:read`,
        },
      );
    const sourceRead = accessTo(principal, model, source.name, 'read', parent);
    heldBy = { source, field, scope: scopeFilter(principal, model, source, sourceRead.scopes) };
  }
  const display = field.relation?.display ?? target.display;
  return {
    heldBy,
    target,
    labelField: shown(display) ?? shown(target.display),
    keyField: shown(target.businessKey),
    scope: read.allowed ? scopeFilter(principal, model, target, read.scopes) : null,
  };
}

/** The entity whose `children` field owns this one. */
function ownerOf(model: Model, child: CompiledEntity): string | undefined {
  for (const entity of model.entities.values())
    if (entity.fields.some((f) => f.def.type === 'children' && f.def.to === child.name)) return entity.name;
  return undefined;
}
