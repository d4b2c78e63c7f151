import { createHmac } from 'node:crypto';
import type { CompiledEntity, CompiledField, Model } from '../../../../metadata/src/model';
import type { EntityRecord } from '../../crud/types';
import { decryptValue, encryptValue, type KeyRing } from './field-encryption';
import { loadKeyRing } from './key-ring';

/**
 * The storage boundary of `sensitive: true` fields: the engine seals a value on every write
 * (create, update, bulk, import, children, workflow field updates all go through EntityWriter) and
 * opens it when a row becomes an API record (serializeRow), so only ciphertext rests in the database.
 *
 * The key ring is the process's: installed at startup (bootstrapSecurity), otherwise loaded on first
 * use from `MES_ENCRYPTION_KEY` or the generated key file (trusted tools and tests writing through
 * the engine encrypt with the same keys as the server).
 */
let installed: KeyRing | null = null;

export function installSensitiveKeyRing(ring: KeyRing): void {
  installed = ring;
}

export function sensitiveKeyRing(): KeyRing {
  installed ??= loadKeyRing();
  return installed;
}

/** Stored form of a bound value of the field: sealed when the field is sensitive and the value text. */
export function sealSensitive(field: CompiledField, stored: unknown): unknown {
  if (!field.sensitive || typeof stored !== 'string') return stored;
  return encryptValue(stored, sensitiveKeyRing());
}

/** API form of a stored value: opened when the field is sensitive (plaintext from before encryption passes). */
export function openSensitive(field: CompiledField, stored: unknown): unknown {
  if (!field.sensitive || typeof stored !== 'string') return stored;
  return decryptValue(stored, sensitiveKeyRing());
}

/**
 * A record for the audit trail: sensitive values (children included) replaced by a keyed digest, so
 * the log never holds them in clear while a diff still shows whether they changed.
 */
export function fingerprintSensitive(
  model: Model,
  entity: CompiledEntity,
  record: EntityRecord | null,
): EntityRecord | null {
  if (record === null || !holdsSensitive(model, entity)) return record;
  const result: EntityRecord = { ...record };
  for (const field of entity.fields) {
    const value = record[field.apiName];
    if (field.sensitive && typeof value === 'string') result[field.apiName] = fingerprint(value);
    const child = field.children ? model.entities.get(field.children.target) : undefined;
    if (child && Array.isArray(value))
      result[field.apiName] = value.map((row: unknown) =>
        row !== null && typeof row === 'object'
          ? fingerprintSensitive(model, child, row as EntityRecord)
          : row,
      );
  }
  return result;
}

const holdsSensitiveCache = new WeakMap<CompiledEntity, boolean>();

/** Whether an entity or its owned children (at any depth) have a sensitive field. */
function holdsSensitive(model: Model, entity: CompiledEntity): boolean {
  let holds = holdsSensitiveCache.get(entity);
  if (holds === undefined) {
    holds = entity.fields.some((field) => {
      const child = field.children ? model.entities.get(field.children.target) : undefined;
      return field.sensitive || (child !== undefined && child !== entity && holdsSensitive(model, child));
    });
    holdsSensitiveCache.set(entity, holds);
  }
  return holds;
}

function fingerprint(value: string): string {
  const ring = sensitiveKeyRing();
  const key = ring.keys.get(ring.activeKeyId) as Buffer;
  return `digest:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * `<entity>.<field>` of every sensitive field the engine cannot seal: only text columns hold
 * ciphertext (extension values live in the `ext` JSON, numbers and dates in typed columns).
 */
export function unsealableSensitiveFields(model: Model): string[] {
  return [...model.entities.values()].flatMap((entity) =>
    entity.fields
      .filter(
        (field) =>
          field.sensitive &&
          (field.storage !== 'column' || (field.columnType !== 'varchar' && field.columnType !== 'text')),
      )
      .map((field) => `${entity.name}.${field.name}`),
  );
}
