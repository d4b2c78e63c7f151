import { pointer } from '../../loader';
import { TENANT_TOKEN } from '../../model/identifier-pattern';
import type { SemanticContext } from './context';
import { requireField, requireFieldPath } from './entities';

const DATE_TOKENS = new Set(['YYYY', 'YYYYMM', 'YYYYMMDD']);
const SEQ_TOKEN = /^seq:([1-9]|1[0-2])$/;

function bracesBalanced(pattern: string): boolean {
  let open = false;
  for (const ch of pattern) {
    if (ch === '{' && open) return false;
    if (ch === '}' && !open) return false;
    if (ch === '{' || ch === '}') open = ch === '{';
  }
  return !open;
}

/** Identifier field exists; every `{token}` is a date, a field path or the one `{seq:N}`. */
export function checkIdentifiers(ctx: SemanticContext): void {
  for (const { document, def } of ctx.documentsOf('entity')) {
    const identifier = def.identifier;
    if (!identifier) continue;
    requireField(ctx, document, pointer('identifier', 'field'), def, identifier.field, 'identifier-field');
    const patternPath = pointer('identifier', 'pattern');
    const { pattern } = identifier;
    if (!bracesBalanced(pattern)) {
      ctx.report(
        document,
        patternPath,
        'identifier-pattern',
        `unbalanced braces in identifier pattern \`${pattern}\``,
      );
      continue;
    }
    let sequences = 0;
    for (const [, token] of pattern.matchAll(/\{([^}]*)\}/g)) {
      if (DATE_TOKENS.has(token) || token === TENANT_TOKEN) continue;
      if (token.startsWith('seq')) {
        sequences += 1;
        if (!SEQ_TOKEN.test(token)) {
          ctx.report(
            document,
            patternPath,
            'identifier-pattern',
            `\`{${token}}\` must be \`{seq:N}\` with a width N from 1 to 12`,
          );
        }
        continue;
      }
      requireFieldPath(ctx, document, patternPath, def, token, 'identifier-pattern');
    }
    if (sequences !== 1) {
      ctx.report(
        document,
        patternPath,
        'identifier-pattern',
        `identifier pattern \`${pattern}\` must contain exactly one \`{seq:N}\`, found ${sequences}`,
      );
    }
  }
}
