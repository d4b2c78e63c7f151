import type { Command } from 'commander';
import pc from 'picocolors';
import { stringify } from 'yaml';
import { countErrors } from '../../../../metadata/src/diagnostic';
import { compileModel } from '../../../../metadata/src/model';
import { didYouMean } from '../../../../metadata/src/suggest';
import type { MetadataSet } from '../../../../metadata/src/types';
import { validateMetadata } from '../../../../metadata/src/validator';
import { findRepoRoot } from '../repo-root';
import { registerStudioCommands } from './metadata-studio';

interface ShowOptions {
  json?: boolean;
  compiled?: boolean;
}

/** The compiled entity as the engine sees it, with its lookup maps dropped (they repeat `fields`). */
function compiledView(set: MetadataSet, name: string): unknown {
  const entity = compileModel(set, { version: 1 }).entities.get(name);
  if (!entity) return undefined;
  const { fieldsByName: _byName, fieldsByApiName: _byApiName, ...view } = entity;
  return view;
}

export function register(program: Command): void {
  const metadata = program
    .command('metadata')
    .description('inspect the resolved metadata; pull and push Metadata Studio metadata');
  registerStudioCommands(metadata);
  metadata
    .command('show')
    .description('print one entity as resolved from core and plugins')
    .argument('<entity>', 'entity name, e.g. work_order')
    .option('--json', 'print JSON instead of YAML')
    .option(
      '--compiled',
      'print the compiled entity: defaults applied, columns, API names, system columns and every index (declared and list-derived)',
    )
    .action((name: string, options: ShowOptions) => {
      const { set, diagnostics } = validateMetadata([findRepoRoot()]);
      const errors = countErrors(diagnostics);
      if (errors > 0)
        process.stderr.write(
          pc.yellow(`warning: the metadata has ${errors} error(s); run \`mes validate\`\n`),
        );
      const entity = set.entities.get(name);
      if (!entity) {
        const hint = didYouMean(name, set.entities.keys());
        process.stderr.write(
          `${pc.red('error')} entity \`${name}\` does not exist${hint ? `; ${hint}` : ''}\n`,
        );
        process.exitCode = 1;
        return;
      }
      const shown = options.compiled ? compiledView(set, name) : entity;
      process.stdout.write(
        options.json ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown, { lineWidth: 0 }),
      );
    });
}
