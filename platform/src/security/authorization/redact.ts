import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import type { EntityAccess } from '../../../../metadata/src/model/permissions';
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

/** What redaction does with one property of a record. */
type Step =
  | { kind: 'drop' }
  | { kind: 'copy' }
  | { kind: 'mask'; field: CompiledField }
  | { kind: 'expanded'; field: CompiledField };

const DROP: Step = { kind: 'drop' };
const COPY: Step = { kind: 'copy' };

/**
 * The steps decided per property, for each access decision (one per principal, Model, entity and
 * parent; principals are shared between the requests of one token): every record of a page and of
 * later requests has the same properties, so each is decided once.
 */
const stepsByAccess = new WeakMap<EntityAccess, Map<string, Step>>();

function decideStep(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  access: EntityAccess,
  key: string,
): Step {
  if (INTERNAL_KEYS.has(key)) return DROP;
  const field = fieldByApiName(entity, key);
  if (!field) return COPY;
  if (!canReadField(principal, model, access, field)) return DROP;
  if (field.sensitive && !mayUnmask(principal, model, entity.name)) return { kind: 'mask', field };
  if (key === field.apiName && (field.relation || field.many || field.children))
    return { kind: 'expanded', field };
  return COPY;
}

function redact(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  record: EntityRecord,
  parent: string | undefined,
): EntityRecord | null {
  const access = accessTo(principal, model, entity.name, 'read', parent);
  if (!access.allowed) return null;
  const steps = stepsByAccess.get(access) ?? new Map<string, Step>();
  stepsByAccess.set(access, steps);
  const result: EntityRecord = {};
  for (const key in record) {
    const value = record[key];
    let step = steps.get(key);
    if (!step) {
      step = decideStep(principal, model, entity, access, key);
      steps.set(key, step);
    }
    if (step.kind === 'drop') continue;
    if (step.kind === 'mask') result[key] = maskValue(value, step.field.def.mask);
    else if (step.kind === 'expanded')
      result[key] = redactExpanded(principal, model, entity, step.field, value);
    else result[key] = value;
  }
  return result;
}

/** An expanded relation, children or many field: its records under their own entity's field rules. */
function redactExpanded(
  principal: Principal,
  model: Model,
  entity: CompiledEntity,
  field: CompiledField,
  value: unknown,
): unknown {
  if (field.relation && isRecord(value))
    return redact(principal, model, entityOf(model, field.relation.target), value, undefined);
  if ((field.many || field.children) && Array.isArray(value)) {
    const target = entityOf(model, (field.many ?? field.children)!.target);
    const owner = field.children ? entity.name : undefined;
    return value
      .filter(isRecord)
      .map((row) => redact(principal, model, target, row, owner))
      .filter((row): row is EntityRecord => row !== null);
  }
  return value;
}

function isRecord(value: unknown): value is EntityRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
