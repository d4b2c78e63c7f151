import { ValidationError } from '../../crud/errors';
import type { FieldError } from '../../crud/types';

export type Characteristic = 'VARIABLE' | 'ATTRIBUTE';
export type ItemResult = 'PASS' | 'FAIL';

/** One check of an inspection plan (`inspection_plan.check_items`), as copied into inspection items. */
export interface CheckItem {
  itemKey: string;
  itemName: string | null;
  characteristic: Characteristic;
  /** Nominal value. */
  standardValue: string | null;
  lowerLimit: number | null;
  upperLimit: number | null;
  unit: string | null;
  method: string | null;
}

/** Attribute readings and what they mean; anything else is refused. */
const ATTRIBUTE_READINGS: Record<string, ItemResult> = { OK: 'PASS', PASS: 'PASS', NG: 'FAIL', FAIL: 'FAIL' };

/**
 * Parses a plan's `check_items` JSON: `[{item_key, item_name, characteristic, standard_value (nominal),
 * lower_limit (LSL), upper_limit (USL), unit, method}]`. A check with a limit is VARIABLE unless it
 * says otherwise. Bad entries → 422 naming each path under `/checkItems`.
 */
export function parseCheckItems(value: unknown): CheckItem[] {
  if (value === null || value === undefined) return [];
  const errors: FieldError[] = [];
  const error = (path: string, rule: string, message: string) =>
    errors.push({ field: 'checkItems', path: `/checkItems${path}`, rule, message });
  if (!Array.isArray(value)) {
    error('', 'type', 'checkItems must be an array of check items');
    throw new ValidationError(errors);
  }
  const items: CheckItem[] = [];
  const keys = new Set<string>();
  value.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      error(`/${index}`, 'type', 'a check item must be an object');
      return;
    }
    const raw = entry as Record<string, unknown>;
    const itemKey = text(raw.item_key);
    if (!itemKey) error(`/${index}/item_key`, 'required', 'item_key is required');
    else if (keys.has(itemKey)) error(`/${index}/item_key`, 'unique', `item_key ${itemKey} appears twice`);
    else keys.add(itemKey);
    const lowerLimit = limit(raw.lower_limit, `/${index}/lower_limit`, error);
    const upperLimit = limit(raw.upper_limit, `/${index}/upper_limit`, error);
    if (lowerLimit !== null && upperLimit !== null && lowerLimit > upperLimit)
      error(`/${index}/lower_limit`, 'range', `lower_limit ${lowerLimit} is above upper_limit ${upperLimit}`);
    const declared = text(raw.characteristic);
    if (declared !== null && declared !== 'VARIABLE' && declared !== 'ATTRIBUTE')
      error(`/${index}/characteristic`, 'enum', 'characteristic must be VARIABLE or ATTRIBUTE');
    const characteristic: Characteristic =
      declared === 'VARIABLE' || declared === 'ATTRIBUTE'
        ? declared
        : lowerLimit !== null || upperLimit !== null
          ? 'VARIABLE'
          : 'ATTRIBUTE';
    if (characteristic === 'VARIABLE' && lowerLimit === null && upperLimit === null)
      error(`/${index}`, 'limits', `the variable check ${itemKey ?? index} needs lower_limit or upper_limit`);
    items.push({
      itemKey: itemKey ?? '',
      itemName: text(raw.item_name),
      characteristic,
      standardValue:
        raw.standard_value === undefined || raw.standard_value === null ? null : String(raw.standard_value),
      lowerLimit,
      upperLimit,
      unit: text(raw.unit),
      method: text(raw.method),
    });
  });
  if (errors.length > 0) throw new ValidationError(errors, 'The inspection plan has invalid check items');
  return items;
}

/**
 * Judges one recorded value: a VARIABLE check passes when the number lies within [LSL, USL] (a missing
 * limit is open), an ATTRIBUTE check reads OK/PASS or NG/FAIL. Returns an error message instead when
 * the value cannot be judged.
 */
export function judge(
  check: { characteristic: Characteristic; lowerLimit: number | null; upperLimit: number | null },
  actualValue: string,
): { result: ItemResult } | { error: string; rule: string } {
  const value = actualValue.trim();
  if (check.characteristic === 'ATTRIBUTE') {
    const result = ATTRIBUTE_READINGS[value.toUpperCase()];
    return result
      ? { result }
      : { error: `An attribute check reads OK or NG; got '${actualValue}'`, rule: 'attribute-reading' };
  }
  const measured = value === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(measured))
    return { error: `A variable check needs a number; got '${actualValue}'`, rule: 'numeric' };
  const aboveLower = check.lowerLimit === null || measured >= check.lowerLimit;
  const belowUpper = check.upperLimit === null || measured <= check.upperLimit;
  return { result: aboveLower && belowUpper ? 'PASS' : 'FAIL' };
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

function limit(value: unknown, path: string, error: (path: string, rule: string, message: string) => void) {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) {
    error(path, 'numeric', `${path.split('/').pop()} must be a number`);
    return null;
  }
  return n;
}
