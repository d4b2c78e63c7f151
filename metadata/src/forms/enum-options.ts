import type { EnumField, I18nText } from '../types';

/** Select options of an enum field; a bare value is its own label. */
export function enumOptions(def: EnumField): { value: string; label: string | I18nText }[] {
  return def.values.map((v) =>
    typeof v === 'string' ? { value: v, label: v } : { value: v.value, label: v.label },
  );
}
