import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const COMPONENTS = join(
  dirname(createRequire(import.meta.url).resolve('element-plus/package.json')),
  'es',
  'components',
);
const NAMED_IMPORT = /import\s*\{([^}]*)\}\s*from\s*['"]element-plus['"]/g;

/** `ElTableColumn` → `table-column`, `vLoading` → `loading`: the folder of its stylesheet. */
function folderOf(name: string): string {
  return name
    .replace(/^(El|v)(?=[A-Z])/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/**
 * Element Plus per component: a module of the app that imports `ElTable` from `element-plus` also
 * imports that component's stylesheet (`element-plus/es/components/table/style/css`, which brings
 * the stylesheets of the components it is built from), so each screen's chunk carries the CSS of the
 * components it uses and the first load no longer fetches the whole theme.
 */
export function elementPlusStyles(): Plugin {
  const known = new Map<string, boolean>();
  const hasStyle = (folder: string): boolean => {
    let found = known.get(folder);
    if (found === undefined) {
      found = existsSync(join(COMPONENTS, folder, 'style', 'css.mjs'));
      known.set(folder, found);
    }
    return found;
  };
  return {
    name: 'mes:element-plus-styles',
    transform(code, id) {
      // A single-file component's script arrives as `X.vue?vue&type=script…`, its style blocks apart.
      const [file, query = ''] = id.split('?');
      if (file.includes('/node_modules/') || !/\.(vue|ts)$/.test(file)) return null;
      if (query && !/(^|&)type=script(&|$)/.test(query)) return null;
      const folders = new Set<string>();
      for (const match of code.matchAll(NAMED_IMPORT))
        for (const specifier of match[1].split(',')) {
          const name = specifier
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0];
          if (name && !specifier.trim().startsWith('type ') && hasStyle(folderOf(name)))
            folders.add(folderOf(name));
        }
      if (!folders.size) return null;
      // On the first line, so the lines of the module (and its source map) stay where they were.
      const imports = [...folders].map((f) => `import 'element-plus/es/components/${f}/style/css';`);
      return { code: imports.join('') + code, map: null };
    },
  };
}
