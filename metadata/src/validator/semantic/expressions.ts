import { ExpressionError, identifierNodes, parseExpression, type IdentifierNode } from '../../expression';
import type { LoadedDocument } from '../../loader';
import type { EntityDef } from '../../types';
import type { SemanticContext } from './context';
import { resolveFieldPath } from './entity-paths';

/**
 * Checks that an expression parses and, when the entity it runs against is known, that every
 * identifier is a field or a dot path through relations. `$`-prefixed names are runtime context
 * (`$user`, `$now`) and always allowed. Diagnostics point at the offending character; `sourceOffset`
 * is where the expression starts inside the YAML value (1 for `=<expression>` field updates).
 */
export function checkExpression(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  source: string,
  entity: EntityDef | undefined,
  sourceOffset = 0,
  /** Names the expression may read besides fields (a rule's measures). */
  names: ReadonlySet<string> = new Set(),
): void {
  let identifiers: IdentifierNode[];
  try {
    identifiers = identifierNodes(parseExpression(source));
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    ctx.report(
      document,
      path,
      'expression-syntax',
      `invalid expression \`${source}\`: ${error.message} at column ${error.column}`,
      {
        offset: sourceOffset + error.column - 1,
      },
    );
    return;
  }
  if (!entity) return;
  const reported = new Set<string>();
  for (const identifier of identifiers) {
    const name = identifier.path.join('.');
    if (name.startsWith('$') || names.has(name) || reported.has(name)) continue;
    reported.add(name);
    const resolution = resolveFieldPath(ctx.set, entity, name);
    if (resolution.ok === false) {
      ctx.report(
        document,
        path,
        'expression-field',
        `expression \`${source}\` reads \`${name}\`: ${resolution.message}`,
        {
          hint: resolution.hint,
          offset: sourceOffset + identifier.column - 1,
        },
      );
    }
  }
}
