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

/** Whether a served validation (`required|length:0,32`, rule tuples or a conditional) always requires a value. */
function alwaysRequired(validation: unknown): boolean {
  if (typeof validation === 'string') return validation.split('|').some((rule) => rule.trim() === 'required');
  if (Array.isArray(validation))
    return validation.some((rule) => (Array.isArray(rule) ? rule[0] === 'required' : rule === 'required'));
  return false;
}

/** Marks inputs that always need a value (`mes-required`), so their label shows it before the user saves. */
export function markRequired<T>(node: T): T {
  if (Array.isArray(node)) return node.map((child: unknown) => markRequired(child)) as T;
  if (node === null || typeof node !== 'object') return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, markRequired(value)]));
  if ('$formkit' in copy && alwaysRequired(copy.validation))
    copy.outerClass = [copy.outerClass, 'mes-required'].filter(Boolean).join(' ');
  return copy as T;
}
