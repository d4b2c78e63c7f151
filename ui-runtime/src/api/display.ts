/**
 * How values read for people: relations by their display value, enum values by their label, booleans
 * as yes/no, dates and times in the user's locale, JSON compactly. Relations the caller cannot expand
 * (no read on the target) are labelled through the lookup projection, batched per field.
 */
import { reactive } from 'vue';
import { i18n, text } from '../i18n';
import type { LookupChoice } from '../../../platform/src/contracts/meta';
import { api } from './http';
import type { EntityMeta, FieldMeta } from './meta';

/** Labels the lookup answered, by `<entity>.<field>` and id; reactive so cells fill in when they arrive. */
const lookedUp = reactive(new Map<string, Map<number, string>>());

export function apiNameOf(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function lookupUrl(entity: string, field: string, params: Record<string, string>): string {
  return `/api/lookup/${encodeURIComponent(entity)}/${encodeURIComponent(field)}?${new URLSearchParams(params)}`;
}

export function choiceLabel(choice: LookupChoice): string {
  return choice.key && choice.key !== choice.label ? `${choice.label} (${choice.key})` : choice.label;
}

/**
 * Fetches the labels of the relation values of `records` that are not expanded (the target cannot be
 * read), one lookup per field; a field the caller may not look up keeps showing the id.
 */
export async function resolveRelationLabels(
  meta: EntityMeta,
  fields: FieldMeta[],
  records: Record<string, unknown>[],
): Promise<void> {
  await Promise.all(
    fields
      .filter((f) => f.relation)
      .map(async (field) => {
        const key = `${meta.name}.${field.name}`;
        const known = lookedUp.get(key) ?? new Map<number, string>();
        const ids = [
          ...new Set(
            records
              .filter((r) => !isObject(r[field.apiName]))
              .map((r) => r[field.property])
              .filter((id): id is number => typeof id === 'number' && !known.has(id)),
          ),
        ];
        if (ids.length === 0) return;
        try {
          const { items } = await api<{ items: LookupChoice[] }>(
            'GET',
            lookupUrl(meta.name, field.name, { ids: ids.slice(0, 200).join(',') }),
          );
          for (const choice of items) known.set(choice.id, choiceLabel(choice));
          lookedUp.set(key, known);
        } catch {
          // Without the right to look the target up the cell shows the id, as the server sent it.
        }
      }),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One formatter per language and style: building an `Intl.DateTimeFormat` costs more than formatting. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${withTime}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      locale,
      withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' },
    );
    formatters.set(key, format);
  }
  return format;
}

const dateTimeFormat = (locale: string) => formatter(locale, true);
const dateFormat = (locale: string) => formatter(locale, false);

export function formatDateTime(value: string | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTimeFormat(i18n.global.locale.value).format(date);
}

/** A date-only value (`2026-12-01`) is a calendar day: formatted without a time zone shift. */
export function formatDate(value: string): string {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  if (!y || !m || !d) return value;
  return dateFormat(i18n.global.locale.value).format(new Date(y, m - 1, d));
}

export function enumLabel(field: FieldMeta, value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const option = field.enumValues?.find((e) => e.value === value);
  return option?.label ? text(option.label) : humanize(String(value));
}

/** An unlabelled code as words (`IN_PROGRESS` → "In progress"); Chinese screens keep the code. */
function humanize(code: string): string {
  if (i18n.global.locale.value === 'zh-CN' || !/^[A-Z0-9_]+$/.test(code)) return code;
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function enumColor(field: FieldMeta, value: unknown): string | undefined {
  return field.enumValues?.find((e) => e.value === value)?.color;
}

/** The display value of a related record: the relation's display field, else its key or id. */
export function relatedLabel(field: FieldMeta, related: Record<string, unknown>): string {
  const display = field.relation ? related[apiNameOf(field.relation.display)] : undefined;
  const value = display ?? related.name ?? related.id;
  return isObject(value) ? String(value.id ?? '') : String(value ?? '');
}

/** What a cell or a detail line shows for `field` of `record`, as text. */
export function displayValue(
  meta: EntityMeta | null,
  field: FieldMeta,
  record: Record<string, unknown>,
): string {
  if (field.relation) {
    const related = record[field.apiName];
    if (isObject(related)) return relatedLabel(field, related);
    const id = record[field.property];
    if (id === null || id === undefined) return '';
    const label = meta ? lookedUp.get(`${meta.name}.${field.name}`)?.get(Number(id)) : undefined;
    return label ?? `#${String(id)}`;
  }
  if (field.many) {
    const related = record[field.apiName];
    if (Array.isArray(related))
      return related.map((r) => (isObject(r) ? relatedLabel(field, r) : String(r))).join(', ');
    const ids = record[field.property];
    return Array.isArray(ids) ? ids.map((id) => `#${String(id)}`).join(', ') : '';
  }
  const value = record[field.property];
  if (value === null || value === undefined || value === '') return '';
  if (field.enumValues) return enumLabel(field, value);
  switch (field.type) {
    case 'boolean':
      return i18n.global.t(value ? 'value.yes' : 'value.no');
    case 'datetime':
      return formatDateTime(String(value));
    case 'date':
      return formatDate(String(value));
    case 'json':
    case 'file':
      return typeof value === 'string' ? value : compactJson(value);
    default:
      return isObject(value) || Array.isArray(value) ? compactJson(value) : String(value);
  }
}

function compactJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}…` : json;
}

/** What a record is called: its display value, else its business key, else its id. */
export function recordTitle(meta: EntityMeta, record: Record<string, unknown>): string {
  const displayField = meta.fields.find((f) => f.name === meta.display);
  if (displayField) {
    const shown = displayValue(meta, displayField, record);
    if (shown) return shown;
  }
  const key = meta.businessKey ? record[apiNameOf(meta.businessKey)] : undefined;
  return typeof key === 'string' || typeof key === 'number' ? String(key) : `#${String(record.id)}`;
}
