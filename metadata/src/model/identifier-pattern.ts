import type { CompiledIdentifierToken } from './types';

const TOKEN = /\{([^}]+)\}/g;
const DATE_TOKENS = new Set(['YYYY', 'YYYYMM', 'YYYYMMDD']);
/** The tenant's code (`INERT-QC-0001` is `{TENANT}-{department.dept_code}-{seq:4}`). */
export const TENANT_TOKEN = 'TENANT';

/** Splits an identifier pattern such as `LOT-{YYYYMMDD}-{seq:3}` into its tokens. */
export function parseIdentifierPattern(pattern: string): CompiledIdentifierToken[] {
  const tokens: CompiledIdentifierToken[] = [];
  let last = 0;
  for (const match of pattern.matchAll(TOKEN)) {
    if (match.index > last) tokens.push({ kind: 'literal', value: pattern.slice(last, match.index) });
    const body = match[1];
    if (DATE_TOKENS.has(body)) tokens.push({ kind: 'date', value: body });
    else if (body === TENANT_TOKEN) tokens.push({ kind: 'tenant', value: body });
    else if (body.startsWith('seq')) tokens.push({ kind: 'seq', value: body.split(':')[1] ?? '4' });
    else tokens.push({ kind: 'field', value: body });
    last = match.index + match[0].length;
  }
  if (last < pattern.length) tokens.push({ kind: 'literal', value: pattern.slice(last) });
  return tokens;
}
