import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Options, Plugin } from 'prettier';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as markdown from 'prettier/plugins/markdown';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';

/**
 * Prettier's standalone build with the parsers our outputs need: the Node entry loads its core with a
 * dynamic import(), which the test runner (CommonJS, ADR 0002) cannot follow.
 */
const PARSERS: Record<string, { parser: string; plugins: Plugin[] }> = {
  '.ts': { parser: 'typescript', plugins: [typescript, estree] },
  '.json': { parser: 'json', plugins: [babel, estree] },
  '.md': { parser: 'markdown', plugins: [markdown] },
};

/** The project's Prettier options (`.prettierrc.json` at the root), so generated code reads like ours. */
export function projectPrettierOptions(root: string): Options {
  const file = join(root, '.prettierrc.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Options) : {};
}

export function formatOutput(path: string, content: string, options: Options): Promise<string> {
  const language = PARSERS[extname(path)];
  if (!language) throw new Error(`No formatter for generated file ${path}`);
  return format(content, { ...options, ...language });
}
