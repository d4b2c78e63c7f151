import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../cli/repo-root';
import { renderMetadataReference } from './schema-markdown';

/** Writes docs/metadata.md, or with `--check` fails when the committed file differs from the schemas. */
function main(args: readonly string[]): number {
  const target = join(findRepoRoot(), 'docs', 'metadata.md');
  const rendered = renderMetadataReference();
  if (!args.includes('--check')) {
    writeFileSync(target, rendered);
    process.stdout.write(`wrote ${target}\n`);
    return 0;
  }
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current === rendered) return 0;
  process.stderr.write('docs/metadata.md is out of date with metadata/schema: run `npm run docs:metadata`\n');
  return 1;
}

process.exitCode = main(process.argv.slice(2));
