import { STUDIO_ORIGIN } from '../../studio/layer';
import type { RuleId } from '../../rules';
import type { LoadedDocument } from '../../loader';
import { pointer } from '../../loader';
import type { EntityDef } from '../../types';
import { entityPath } from '../../model/naming';
import type { SemanticContext } from './context';

interface Declaration {
  document: LoadedDocument;
  path: string;
}

function originName(document: LoadedDocument): string {
  if (document.origin === 'core') return 'core';
  return document.origin === STUDIO_ORIGIN ? 'Metadata Studio' : `plugin ${document.origin}`;
}

/** A clash is reported at both declarations, each naming the other. */
function reportClash(
  ctx: SemanticContext,
  rule: RuleId,
  what: string,
  first: Declaration,
  second: Declaration,
): void {
  const hint = 'names must be unique across core modules and plugins';
  for (const [here, there] of [
    [second, first],
    [first, second],
  ]) {
    const elsewhere = `${ctx.where(there.document, there.path)} (${originName(there.document)})`;
    ctx.report(here.document, here.path, rule, `${what} is also declared in ${elsewhere}`, { hint });
  }
}

/** Document names per kind, and entity table names, are unique across core and every plugin. */
export function checkUniqueness(ctx: SemanticContext): void {
  const byName = new Map<string, LoadedDocument>();
  for (const document of ctx.documents) {
    const key = `${document.kind}:${document.name}`;
    const first = byName.get(key);
    const path = pointer(document.kind);
    if (first)
      reportClash(
        ctx,
        'duplicate-name',
        `${document.kind} \`${document.name}\``,
        { document: first, path },
        { document, path },
      );
    else byName.set(key, document);
  }

  const byTable = new Map<string, Declaration & { def: EntityDef }>();
  for (const { document, def } of ctx.documentsOf('entity')) {
    const table = def.table ?? def.entity;
    const declaration = { document, def, path: pointer(def.table ? 'table' : 'entity') };
    const first = byTable.get(table);
    // Two documents of one entity name already clash by name; only a different entity sharing a table is news.
    if (first && first.def.entity !== def.entity)
      reportClash(ctx, 'duplicate-table', `table \`${table}\``, first, declaration);
    else if (!first) byTable.set(table, declaration);
  }

  // A former path (a renamed entity's alias) may not take another entity's path or alias.
  const byPath = new Map<string, Declaration & { def: EntityDef }>();
  for (const { document, def } of ctx.documentsOf('entity')) {
    const paths = [
      { path: def.path ?? entityPath(def.entity), at: pointer(def.path ? 'path' : 'entity') },
      ...(def.pathAliases ?? []).map((alias, i) => ({ path: alias, at: pointer('pathAliases', i) })),
    ];
    for (const { path, at } of paths) {
      const declaration = { document, def, path: at };
      const first = byPath.get(path);
      if (first && first.def.entity !== def.entity)
        reportClash(ctx, 'duplicate-path', `API path \`/api/${path}\``, first, declaration);
      else if (!first) byPath.set(path, declaration);
    }
  }
}
