import type { Command } from 'commander';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { countErrors } from '../../../../metadata/src/diagnostic';
import { validateMetadata } from '../../../../metadata/src/validator';
import { formatDiagnostic, formatSummary } from '../format-diagnostics';
import { findRepoRoot } from '../repo-root';

interface ValidateOptions {
  json?: boolean;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * What to load and what to report. Paths inside the project's own metadata (a module, a plugin, a
 * file) are validated in the context of all of it, so references to other modules resolve, and only
 * their own problems are reported; any other paths (fixtures, drafts) are validated on their own.
 */
function plan(paths: string[]): { roots: string[]; reported: (file: string) => boolean } {
  const repoRoot = findRepoRoot();
  if (paths.length === 0) return { roots: [repoRoot], reported: () => true };
  const targets = paths.map((path) => resolve(path));
  const metadataDirs = [join(repoRoot, 'metadata', 'modules'), join(repoRoot, 'plugins')];
  const inProject = targets.every((target) => metadataDirs.some((dir) => isInside(target, dir)));
  if (!inProject) return { roots: targets, reported: () => true };
  return { roots: [repoRoot], reported: (file) => targets.some((target) => isInside(file, target)) };
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('validate metadata files against the meta-schemas and each other')
    .argument('[paths...]', 'files or folders to validate (default: metadata/modules and plugins/)')
    .option('--json', 'print the diagnostics as JSON')
    .action((paths: string[], options: ValidateOptions) => {
      const { roots, reported } = plan(paths);
      const result = validateMetadata(roots);
      const diagnostics = result.diagnostics.filter((diagnostic) => reported(diagnostic.file));
      const documents = result.documents.filter((document) => reported(document.file));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(diagnostics, null, 2)}\n`);
      } else {
        const cwd = process.cwd();
        for (const diagnostic of diagnostics) process.stdout.write(`${formatDiagnostic(diagnostic, cwd)}\n`);
        process.stdout.write(`${formatSummary(diagnostics, documents.length)}\n`);
      }
      if (countErrors(diagnostics) > 0) process.exitCode = 1;
    });
}
