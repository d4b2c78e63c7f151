import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScaffoldFile } from './entity';

/** Writes scaffolded files; refuses, before writing any, when one already exists. */
export function writeScaffold(root: string, files: ScaffoldFile[]): void {
  const existing = files.filter((f) => existsSync(join(root, f.path))).map((f) => f.path);
  if (existing.length > 0) throw new Error(`refusing to overwrite ${existing.join(', ')}`);
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content);
  }
}
