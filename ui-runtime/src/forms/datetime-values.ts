import type { FieldMeta } from '../api/meta';

const pad = (n: number): string => String(n).padStart(2, '0');

/** ISO instant from the server → the local `YYYY-MM-DDTHH:mm` a datetime-local input shows. */
export function toLocalInput(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value → the ISO instant the API takes; anything unparsable goes as typed for the server to name. */
export function toInstant(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** Applies a conversion to every datetime field of a record. */
export function mapDatetimes(
  fields: FieldMeta[],
  values: Record<string, unknown>,
  convert: (value: unknown) => unknown,
): Record<string, unknown> {
  const result = { ...values };
  for (const field of fields)
    if (field.type === 'datetime' && field.property in result)
      result[field.property] = convert(result[field.property]);
  return result;
}
