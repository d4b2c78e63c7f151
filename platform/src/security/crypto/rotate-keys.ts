import type { Model } from '../../../../metadata/src/model';
import type { EngineDatabase } from '../../data/database';
import { reencryptValue, type KeyRing } from './field-encryption';
import { rewriteValue, sensitiveValues } from './sensitive-column-store';

export interface RotationResult {
  /** `<table>.<column>` → values re-encrypted. */
  rewritten: Record<string, number>;
}

const BATCH = 500;

/**
 * `mes keys rotate`: re-encrypts every sensitive column with the active key, in batches of rows, each
 * batch in its own transaction, so the ring's older keys can be retired afterwards.
 */
export async function rotateSensitiveColumns(
  database: EngineDatabase,
  model: Model,
  ring: KeyRing,
): Promise<RotationResult> {
  const rewritten: Record<string, number> = {};
  for (const entity of model.entities.values()) {
    for (const field of entity.fields) {
      if (!field.sensitive || !field.column) continue;
      const name = `${entity.table}.${field.column}`;
      rewritten[name] = 0;
      let afterId = 0;
      for (;;) {
        const column = field.column;
        const rows = await sensitiveValues(database.executor(), entity.table, column, afterId, BATCH);
        if (rows.length === 0) break;
        rewritten[name] += await database.transaction(async (tx) => {
          let count = 0;
          for (const row of rows) {
            const next = row.value === null ? null : reencryptValue(String(row.value), ring);
            if (next === null) continue;
            await rewriteValue(tx, entity.table, column, row.id, next);
            count += 1;
          }
          return count;
        });
        afterId = Number(rows[rows.length - 1].id);
      }
    }
  }
  return { rewritten };
}
