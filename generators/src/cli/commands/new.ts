import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { isatty } from 'node:tty';
import pc from 'picocolors';
import type { Diagnostic } from '../../../../metadata/src/diagnostic';
import { validateMetadata } from '../../../../metadata/src/validator';
import {
  humanize,
  parseFieldSpec,
  scaffoldEntity,
  type FieldSpec,
  type ScaffoldFile,
} from '../../scaffold/entity';
import type * as PluginScaffold from '../../scaffold/plugin';
import type * as ScaffoldWriter from '../../scaffold/write';
import { formatDiagnostic } from '../format-diagnostics';
import { findRepoRoot } from '../repo-root';

interface NewOptions {
  labelEn?: string;
  labelZh?: string;
  field?: string[];
  json?: boolean;
}

/** Asks on the terminal when one is attached; otherwise takes the default, so scripts never hang. */
class Prompter {
  // Asked of the file descriptors: `process.stdin` would open a stream on a pipe that stays open.
  private readonly interactive = isatty(0) && isatty(1);
  private readonly rl = this.interactive
    ? createInterface({ input: process.stdin, output: process.stdout })
    : undefined;

  async ask(question: string, fallback: string): Promise<string> {
    if (!this.rl) return fallback;
    const answer = (await this.rl.question(`${question} ${pc.dim(`(${fallback})`)}: `)).trim();
    return answer === '' ? fallback : answer;
  }

  /** Repeats a question until an empty answer; nothing when not interactive. */
  async askMany(question: string): Promise<string[]> {
    const answers: string[] = [];
    while (this.rl) {
      const answer = (await this.rl.question(`${question}: `)).trim();
      if (answer === '') break;
      answers.push(answer);
    }
    return answers;
  }

  close(): void {
    this.rl?.close();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const command = program.command('new').description('scaffold metadata for a new entity or a new plugin');
  command
    .command('entity')
    .description('scaffold metadata/modules/<module>/entities/<name>.yaml (or the plugin’s metadata/)')
    .argument('<module/name>', 'module and entity in snake_case, e.g. production/scrap_record')
    .option('--label-en <text>', 'English label')
    .option('--label-zh <text>', 'Chinese label')
    .option(
      '--field <name:type>',
      'a field: qty:integer, code:string! (required), status:enum=A|B, item:relation=item_master',
      collect,
    )
    .option('--json', 'print the result as JSON')
    .action(async (target: string, options: NewOptions) => {
      const [module, name, extra] = target.split('/');
      if (!module || !name || extra !== undefined)
        throw new Error(`expected <module>/<entity>, got '${target}'`);
      const prompter = new Prompter();
      try {
        const labelEn = options.labelEn ?? (await prompter.ask('English label', humanize(name)));
        const labelZh = options.labelZh ?? (await prompter.ask('Chinese label', labelEn));
        const specs = options.field ?? (await prompter.askMany('Field (name:type, empty to finish)'));
        const fields: FieldSpec[] = specs.map(parseFieldSpec);
        const root = findRepoRoot();
        finish(
          root,
          scaffoldEntity(root, { module, name, label: { en: labelEn, zh: labelZh }, fields }),
          options,
        );
      } finally {
        prompter.close();
      }
    });
  command
    .command('plugin')
    .description('scaffold plugins/<name>/ with plugin.yaml, metadata/, server/index.ts and migrations/')
    .argument('<name>', 'plugin name in snake_case')
    .option('--label-en <text>', 'English label')
    .option('--label-zh <text>', 'Chinese label')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: NewOptions) => {
      const prompter = new Prompter();
      try {
        const labelEn = options.labelEn ?? (await prompter.ask('English label', humanize(name)));
        const labelZh = options.labelZh ?? (await prompter.ask('Chinese label', labelEn));
        const root = findRepoRoot();
        const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
          .version;
        // Loaded here, not at the top: the scaffold's templates stay out of `mes serve`.
        const { scaffoldPlugin } = require('../../scaffold/plugin') as typeof PluginScaffold;
        finish(
          root,
          scaffoldPlugin({ name, label: { en: labelEn, zh: labelZh }, engine: `^${version}` }),
          options,
        );
      } finally {
        prompter.close();
      }
    });
}

/** Writes the files, then validates the project so a scaffold that does not validate is reported at once. */
function finish(root: string, files: ScaffoldFile[], options: NewOptions): void {
  const { writeScaffold } = require('../../scaffold/write') as typeof ScaffoldWriter;
  writeScaffold(root, files);
  const written = new Set(files.map((f) => resolve(root, f.path)));
  const diagnostics: Diagnostic[] = validateMetadata([root]).diagnostics.filter((d) =>
    written.has(resolve(d.file)),
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ files: files.map((f) => f.path), diagnostics }, null, 2)}\n`);
  } else {
    for (const file of files) process.stdout.write(`${pc.green('created')} ${file.path}\n`);
    for (const diagnostic of diagnostics)
      process.stdout.write(`${formatDiagnostic(diagnostic, process.cwd())}\n`);
  }
  if (diagnostics.some((d) => d.severity === 'error')) process.exitCode = 1;
}
