import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import pc from 'picocolors';
import { compileModel } from '../../../../metadata/src/model/compile';
import { validateMetadata } from '../../../../metadata/src/validator';
import {
  EngineDatabase,
  createDataSource,
  loadAppConfig,
  loadDatabaseConfig,
  setPasswordByUsername,
} from '../../../../platform/src';
import { findRepoRoot } from '../repo-root';

interface SetPasswordOptions {
  tenant?: string;
}

export function register(program: Command): void {
  const users = program.command('users').description('user accounts (DATABASE_URL selects the database)');
  users
    .command('set-password')
    .description(
      'set a user’s password, read from standard input (or prompted for, without echo, on a terminal); ' +
        'the password policy applies, the user’s sessions are revoked and the change is audited',
    )
    .argument('<username>', 'the account to set the password of')
    .option('--tenant <id>', 'the user’s tenant (default DEFAULT_TENANT, or DEMO)')
    .action((username: string, options: SetPasswordOptions) => setPassword(username, options));
}

async function setPassword(username: string, options: SetPasswordOptions): Promise<void> {
  const tenant = options.tenant ?? loadAppConfig().defaultTenant;
  const password = process.stdin.isTTY ? await promptTwice() : await readStdin();
  if (!password) throw new Error('no password given on standard input');
  const { set } = validateMetadata([join(findRepoRoot(), 'metadata', 'modules')]);
  const model = compileModel(set, { version: 1 });
  const dataSource = await createDataSource(loadDatabaseConfig());
  try {
    // A policy violation or an unknown username is the error's message, printed by the CLI.
    const result = await setPasswordByUsername(
      new EngineDatabase(dataSource),
      model,
      tenant,
      username,
      password,
    );
    process.stdout.write(
      `${pc.green('✓')} password of ${result.username} (tenant ${tenant}) set; ` +
        `${result.refreshTokensRevoked} session(s) revoked\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

/** Everything piped in, without the final line break (`echo secret | mes users set-password …`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function promptTwice(): Promise<string> {
  const first = await prompt('New password: ');
  const second = await prompt('Repeat it: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

/** Reads one line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input: process.stdin, output: silent, terminal: true });
  return new Promise((resolve) =>
    reader.question('', (answer) => {
      reader.close();
      process.stderr.write('\n');
      resolve(answer);
    }),
  );
}
