import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { fieldByApiName } from '../security/authorization/authorize-read';
import { maskValue } from '../security/authorization/masking';
import { decryptValue, encryptValue } from '../security/crypto/field-encryption';
import { sensitiveKeyRing } from '../security/crypto/sensitive-fields';
import type { EventEnvelope } from './envelope';

type Payload = Record<string, unknown>;

/**
 * What an event may carry out of the system, decided by the metadata of the entity it is about and
 * of the records nested in its payload (children, expanded relations): `hidden` fields (password
 * hashes, tokens) are left out, `sensitive` fields are masked as for a reader without unmask. Their
 * clear values travel sealed with the field key ring in `sealed`, so the outbox and the queue never
 * hold them in clear and only a webhook subscription granted unmask receives them
 * (`deliverableEvent`). Keys that name no field (`action`, `from`, `to`) pass unchanged; events
 * about no entity of the Model are left as they are.
 */
export function releasableEvent(model: Model, event: EventEnvelope): EventEnvelope {
  const entity = event.entity ? model.entities.get(event.entity) : undefined;
  if (!entity) return event;
  const sealed: Record<string, string> = {};
  const payload = releasable(model, entity, event.payload, '', sealed);
  return Object.keys(sealed).length > 0 ? { ...event, payload, sealed } : { ...event, payload };
}

function releasable(
  model: Model,
  entity: CompiledEntity,
  record: Payload,
  pointer: string,
  sealed: Record<string, string>,
): Payload {
  const result: Payload = {};
  // The pointer of a property, only for those that need one: sealed values and nested records.
  const pathOf = (key: string) => `${pointer}/${escapePointer(key)}`;
  for (const [key, value] of Object.entries(record)) {
    const field = fieldByApiName(entity, key) ?? entity.fieldsByName.get(key);
    if (!field) result[key] = value;
    else if (field.hidden) continue;
    else if (field.sensitive) {
      if (value !== null && value !== undefined && value !== '')
        sealed[pathOf(key)] = encryptValue(JSON.stringify(value), sensitiveKeyRing());
      result[key] = maskValue(value, field.def.mask);
    } else {
      const target = field.relation?.target ?? field.children?.target ?? field.many?.target;
      const nested = target ? model.entities.get(target) : undefined;
      if (nested && isPayload(value)) result[key] = releasable(model, nested, value, pathOf(key), sealed);
      else if (nested && Array.isArray(value))
        result[key] = value.map((item: unknown, index) =>
          isPayload(item) ? releasable(model, nested, item, `${pathOf(key)}/${index}`, sealed) : item,
        );
      else result[key] = value;
    }
  }
  return result;
}

/**
 * The event as a webhook receives it: never the sealed values themselves; with `unmask`, the
 * payload carries the sensitive values in clear in place of their masks.
 */
export function deliverableEvent(event: EventEnvelope, unmask: boolean): EventEnvelope {
  const { sealed, ...delivered } = event;
  if (!unmask || !sealed) return delivered;
  const payload = structuredClone(delivered.payload);
  const ring = sensitiveKeyRing();
  for (const [pointer, value] of Object.entries(sealed)) {
    const keys = pointer.split('/').slice(1).map(unescapePointer);
    const last = keys.pop()!;
    let parent: unknown = payload;
    for (const key of keys)
      parent = isPayload(parent) || Array.isArray(parent) ? (parent as Payload)[key] : null;
    if (isPayload(parent)) parent[last] = JSON.parse(decryptValue(value, ring)) as unknown;
  }
  return { ...delivered, payload };
}

function isPayload(value: unknown): value is Payload {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 6901: `~` and `/` inside a key. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(key: string): string {
  return key.replace(/~1/g, '/').replace(/~0/g, '~');
}
