import { pointer } from '../../loader';
import type { LoadedDocument } from '../../loader';
import type { SemanticContext } from './context';

interface Rename {
  document: LoadedDocument;
  path: string;
  current: string;
  previous: string;
}

/**
 * A `renamedFrom` may not name something that still exists (the migration would drop live data or
 * rename onto it), and two renames may not claim the same old name. Together these rule out chains
 * that loop back onto a current name, the only cycles one generation of renames can form.
 */
function checkRenames(
  ctx: SemanticContext,
  what: (name: string) => string,
  currentNames: ReadonlySet<string>,
  renames: Rename[],
): void {
  const claimed = new Map<string, Rename>();
  for (const rename of renames) {
    if (rename.previous === rename.current) {
      ctx.report(
        rename.document,
        rename.path,
        'renamed-from',
        `${what(rename.current)} is renamed from itself`,
      );
    } else if (currentNames.has(rename.previous)) {
      ctx.report(
        rename.document,
        rename.path,
        'renamed-from',
        `${what(rename.current)} is renamed from \`${rename.previous}\`, which still exists`,
        { hint: 'remove `renamedFrom` or the other declaration' },
      );
    }
    const earlier = claimed.get(rename.previous);
    if (earlier) {
      ctx.report(
        rename.document,
        rename.path,
        'renamed-from',
        `\`${rename.previous}\` is already renamed to \`${earlier.current}\` (${ctx.where(earlier.document, earlier.path)})`,
      );
    } else {
      claimed.set(rename.previous, rename);
    }
  }
}

export function checkRenamedFrom(ctx: SemanticContext): void {
  const entities = ctx.documentsOf('entity');
  const entityRenames = entities
    .filter(({ def }) => def.renamedFrom)
    .map(({ document, def }) => ({
      document,
      path: pointer('renamedFrom'),
      current: def.entity,
      previous: def.renamedFrom as string,
    }));
  checkRenames(ctx, (name) => `entity \`${name}\``, new Set(ctx.namesOf('entity')), entityRenames);

  for (const { document, def } of entities) {
    const fieldRenames = Object.entries(def.fields)
      .filter(([, field]) => field.renamedFrom)
      .map(([name, field]) => ({
        document,
        path: pointer('fields', name, 'renamedFrom'),
        current: name,
        previous: field.renamedFrom as string,
      }));
    checkRenames(
      ctx,
      (name) => `field \`${def.entity}.${name}\``,
      new Set(Object.keys(def.fields)),
      fieldRenames,
    );
  }
}
