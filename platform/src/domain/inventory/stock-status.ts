import type { Model } from '../../../../metadata/src/model';
import type { EnumValue } from '../../../../metadata/src/types';

/**
 * The meaning of the stock statuses, from the `status` enum of the `stock` entity: the values marked
 * `held` are stock quality holds (never issued, moved, reserved or shipped except by a quality
 * release); the field's default is the held status stock waits in for quality (IQC, a hold); the
 * first value not held is the one quality releases stock to; the first held value other than the
 * default is the one stock quality disposed of (scrapped, returned to the supplier) ends in.
 */
export interface StockStatuses {
  held: readonly string[];
  waiting: string;
  released: string;
  rejected: string;
}

const cache = new WeakMap<Model, StockStatuses>();

export function stockStatuses(model: Model): StockStatuses {
  const cached = cache.get(model);
  if (cached) return cached;
  const def = model.entities.get('stock')?.fieldsByName.get('status')?.def;
  if (def?.type !== 'enum') throw new Error('stock.status is not an enum in the Model');
  const values = def.values.map((v): Pick<EnumValue, 'value' | 'held'> =>
    typeof v === 'string' ? { value: v } : v,
  );
  const held = values.filter((v) => v.held === true).map((v) => v.value);
  const released = values.find((v) => v.held !== true)?.value;
  const waiting = typeof def.default === 'string' ? def.default : undefined;
  const rejected = held.find((value) => value !== waiting);
  if (released === undefined || waiting === undefined || !held.includes(waiting) || rejected === undefined)
    throw new Error(
      'stock.status needs a held default, another held value (disposed stock) and a value that is not held',
    );
  const statuses = { held, waiting, released, rejected };
  cache.set(model, statuses);
  return statuses;
}
