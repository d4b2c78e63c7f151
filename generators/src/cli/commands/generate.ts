import type { Command } from 'commander';
import pc from 'picocolors';
import { formatDiagnostic } from '../format-diagnostics';
import { findRepoRoot } from '../repo-root';
import type * as Codegen from '../../codegen/run';
import type { GenerateReport } from '../../codegen/run';
import type { OutputStatus } from '../../codegen/sync';

interface GenerateOptions {
  check?: boolean;
  entity?: string;
  json?: boolean;
}

const CHECK_WORDS: Record<OutputStatus, string> = {
  unchanged: 'up to date',
  missing: 'missing',
  stale: 'stale',
  'hand-edited': 'hand-edited',
  orphaned: 'orphaned (its metadata is gone)',
};

const WRITE_WORDS: Record<OutputStatus, string> = {
  unchanged: 'unchanged',
  missing: 'created',
  stale: 'updated',
  'hand-edited': 'overwrote hand edits in',
  orphaned: 'removed',
};

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate controllers, DTOs, forms, lists, the typed client and entity docs from metadata')
    .option('--check', 'compare with the files on disk without writing; exit 1 when anything is out of date')
    .option('--entity <name>', 'regenerate only this entity (and the files shared by every entity)')
    .option('--json', 'print the report as JSON')
    .action(async (options: GenerateOptions) => {
      const root = findRepoRoot();
      const progress = (generator: string, files: number) => {
        if (!options.json) process.stderr.write(pc.dim(`  ${generator.padEnd(8)} ${files} file(s)\n`));
      };
      // Loaded here, not at the top: the generators (templates, Prettier) stay out of `mes serve`.
      const { runGenerate } = require('../../codegen/run') as typeof Codegen;
      const report = await runGenerate({
        root,
        check: options.check ?? false,
        entity: options.entity,
        onProgress: progress,
      });
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });
}

function printReport(report: GenerateReport): void {
  if (report.errors.length > 0) {
    for (const diagnostic of report.errors)
      process.stdout.write(`${formatDiagnostic(diagnostic, process.cwd())}\n`);
    process.stdout.write(
      pc.red(`metadata has ${report.errors.length} error(s); nothing generated (run \`mes validate\`)\n`),
    );
    return;
  }
  const words = report.check ? CHECK_WORDS : WRITE_WORDS;
  for (const change of report.changes) {
    const color = change.status === 'hand-edited' ? pc.red : pc.yellow;
    process.stdout.write(`${color(words[change.status])} ${change.path}\n`);
  }
  const summary = `${report.outputs} output(s), ${report.changes.length} ${report.check ? 'out of date' : 'written or removed'}`;
  if (report.check && report.changes.length > 0) {
    process.stdout.write(
      pc.red(`${summary}; run \`mes generate\` (hand edits belong in platform/src/domain/)\n`),
    );
  } else {
    process.stdout.write(pc.green(`${summary}\n`));
  }
}
