import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function isRepoRoot(dir: string): boolean {
  return existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'metadata'));
}

function walkUp(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (isRepoRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The project root: the nearest folder holding `metadata/` and `package.json`, looking up from the
 * working directory first, then from the CLI's own location (when run from elsewhere via `npx mes`).
 */
export function findRepoRoot(cwd: string = process.cwd()): string {
  const root = walkUp(cwd) ?? walkUp(__dirname);
  if (!root)
    throw new Error(
      `cannot find the BTC MES project root (a folder with metadata/ and package.json) above ${cwd}`,
    );
  return root;
}
