import { valid as validVersion, validRange } from 'semver';
import { pointer } from '../../loader';
import { didYouMean } from '../../suggest';
import type { LoadedDocument } from '../../loader';
import type { SemanticContext } from './context';

/** A module reference may name a core module or a plugin (a plugin is its own module). */
function checkModuleRef(ctx: SemanticContext, document: LoadedDocument, path: string, name: string): void {
  if (ctx.isDeclared('module', name) || ctx.isDeclared('plugin', name)) return;
  const known = [...ctx.namesOf('module'), ...ctx.namesOf('plugin')];
  ctx.report(document, path, 'unknown-module', `module \`${name}\` does not exist`, {
    hint: didYouMean(name, known),
  });
}

/** Modules referenced by entities, dashboards, menus, permissions and module dependencies exist. */
export function checkModules(ctx: SemanticContext): void {
  for (const kind of ['entity', 'dashboard', 'menu', 'permission'] as const) {
    for (const { document, def } of ctx.documentsOf(kind))
      checkModuleRef(ctx, document, pointer('module'), def.module);
  }
  for (const { document, def } of ctx.documentsOf('module')) {
    (def.dependsOn ?? []).forEach((name, index) =>
      checkModuleRef(ctx, document, pointer('dependsOn', index), name),
    );
  }
}

/** Plugin manifests: semver version, valid engine and dependency ranges, name equal to the folder. */
export function checkPlugins(ctx: SemanticContext): void {
  for (const { document, def } of ctx.documentsOf('plugin')) {
    if (!validVersion(def.version)) {
      ctx.report(
        document,
        pointer('version'),
        'plugin-version',
        `\`${def.version}\` is not a semantic version`,
        {
          hint: 'use MAJOR.MINOR.PATCH, e.g. 1.0.0',
        },
      );
    }
    if (!validRange(def.engine)) {
      ctx.report(document, pointer('engine'), 'plugin-engine', `\`${def.engine}\` is not a semver range`, {
        hint: 'e.g. ^0.1.0 or >=0.1.0 <1.0.0',
      });
    }
    for (const [name, range] of Object.entries(def.dependencies ?? {})) {
      if (!validRange(range)) {
        ctx.report(
          document,
          pointer('dependencies', name),
          'plugin-dependency',
          `\`${range}\` is not a semver range`,
        );
      }
      if (!ctx.isDeclared('plugin', name)) {
        ctx.report(
          document,
          pointer('dependencies', name),
          'plugin-dependency',
          `plugin \`${name}\` does not exist`,
          {
            at: 'key',
            hint: didYouMean(name, ctx.namesOf('plugin')),
          },
        );
      }
    }
    if (document.origin !== 'core' && document.origin !== def.plugin) {
      ctx.report(
        document,
        pointer('plugin'),
        'plugin-name',
        `plugin \`${def.plugin}\` lives in folder \`${document.origin}\``,
        {
          hint: "a plugin's name must equal its folder name under plugins/",
        },
      );
    }
  }
}
