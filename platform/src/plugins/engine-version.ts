import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The platform version plugins' `engine` ranges are checked against: the project's package.json
 * version, found upward from here so it works from the sources and from dist/.
 */
export function engineVersion(): string {
  let dir = __dirname;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'btc-mes' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json of btc-mes not found above ' + __dirname);
    dir = parent;
  }
}

/** The `plugins/` folders of the metadata roots: what may be installed by name. */
export function pluginCatalog(roots: readonly string[]): string[] {
  return roots.map((root) => join(root, 'plugins')).filter((dir) => existsSync(dir));
}
