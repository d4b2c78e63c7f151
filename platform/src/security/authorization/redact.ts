import type { CompiledEntity, Model } from '../../../../metadata/src/model';
import type { EntityRecord } from '../../crud/types';
import type { Principal } from '../principal';
import { accessTo, canReadField, entityOf, mayUnmask } from './access';
import { fieldByApiName } from './authorize-read';
import { maskValue } from './masking';

/**
 * The serialize step: what one record may show to the principal. Omits fields the principal may not
 * read (with their `<relation>Id` / `<many>Ids` properties), masks sensitive values without
 * `<entity>:unmask`, and applies the related entity's field rules to every expanded record (an
 * expansion of an entity the principal may not read becomes null or empty). The related entity's
 * row scope is not applied here: the reader compiled it into the statement of each expansion
 * (`ListQuery.expandScopes`). `tenantId` and `ext` never leave the server: extension values appear
 * as ordinary fields.
 */
export function redactRecord(
  principal: Principal,
  model: Model,
  entityName: string,
  record: EntityRecord,
): EntityRecord {
  return redact(principal, model, entityOf(model, entityName), record, undefined) ?? {};
}

/** `redactRecord` over a page of rows. */
export function redactRecords(
  principal: Principal,
  model: Model,
  entityName: string,
  records: EntityRecord[],
): EntityRecord[] {
  return records.map((record) => redactRecord(principal, model, entityName, record));
}

const INTERNAL_KEYS = new Set(['tenantId', 'ext']);

function redact(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  record: EntityRecord,
  parent: string | undefined,
): EntityRecord | null {
  const access = accessTo(principal, model, entity.name, 'read', parent);
  if (!access.allowed) return null;
  const unmask = mayUnmask(principal, model, entity.name);
  const result: EntityRecord = {};
  for (const [key, value] of Object.entries(record)) {
    if (INTERNAL_KEYS.has(key)) continue;
    const field = fieldByApiName(entity, key);
    if (!field) {
      result[key] = value;
      continue;
    }
    if (!canReadField(principal, model, access, field)) continue;
    const expanded = key === field.apiName;
    if (field.sensitive && !unmask) result[key] = maskValue(value, field.def.mask);
    else if (expanded && field.relation && isRecord(value))
      result[key] = redact(principal, model, entityOf(model, field.relation.target), value, undefined);
    else if (expanded && (field.many || field.children) && Array.isArray(value)) {
      const target = entityOf(model, (field.many ?? field.children)!.target);
      const owner = field.children ? entity.name : undefined;
      result[key] = value
        .filter(isRecord)
        .map((row) => redact(principal, model, target, row, owner))
        .filter((row): row is EntityRecord => row !== null);
    } else result[key] = value;
  }
  return result;
}

function isRecord(value: unknown): value is EntityRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
