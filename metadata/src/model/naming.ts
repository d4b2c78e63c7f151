/** Name conversions between metadata (snake_case), the API (camelCase) and URLs (kebab-case plurals). */

export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function pluralize(word: string): string {
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** `work_order` → `work-orders`: the entity's path under /api. */
export function entityPath(entity: string): string {
  const words = entity.split('_');
  words[words.length - 1] = pluralize(words[words.length - 1]);
  return words.join('-');
}

/** Database identifiers are limited to 64 characters (MySQL); long names keep a stable hash suffix. */
export function boundedIdentifier(name: string, max = 64): string {
  if (name.length <= max) return name;
  let hash = 0;
  for (const ch of name) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
  const suffix = hash.toString(36);
  return `${name.slice(0, max - suffix.length - 1)}_${suffix}`;
}
