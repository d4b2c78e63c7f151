import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from './commands';
import { findRepoRoot } from './repo-root';

const EXAMPLES = `
Examples:
  $ mes validate                                   validate core metadata and every plugin
  $ mes validate metadata/modules/production       validate one module in the context of the others
  $ mes validate plugins/procurement --json        diagnostics as JSON for editors and CI tools
  $ mes metadata show work_order                   the resolved work_order entity as YAML
  $ mes metadata show work_order --json            ... as JSON
`;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(findRepoRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** The `mes` command line with every registered command. */
export function buildProgram(): Command {
  const program = new Command('mes')
    .description('BTC MES command line: validate and inspect metadata, generate code and migrations')
    .version(packageVersion())
    .showHelpAfterError()
    .addHelpText('after', EXAMPLES);
  for (const command of COMMANDS) command.register(program);
  return program;
}
