import type { I18nText } from '../api/meta';
import { text } from '../i18n';

const LANGUAGE_KEYS = new Set(['en', 'zh']);

function isI18nText(value: object): value is Record<string, string> {
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([key, v]) => LANGUAGE_KEYS.has(key) && typeof v === 'string');
}

/** Replaces every `{en, zh}` text of a served FormKit schema with the current language's string. */
export function localizeSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map((child: unknown) => localizeSchema(child)) as T;
  if (node === null || typeof node !== 'object') return node;
  if (isI18nText(node)) return text(node as I18nText) as T;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, localizeSchema(value)])) as T;
}
