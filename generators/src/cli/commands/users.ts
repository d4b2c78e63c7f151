import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import pc from 'picocolors';
import { compileModel } from '../../../../metadata/src/model/compile';
import { validateMetadata } from '../../../../metadata/src/validator';
import { loadAppConfig } from '../../../../platform/src/config/app-config';
import { ApiError } from '../../../../platform/src/crud/errors';
import { createDataSource, loadDatabaseConfig } from '../../../../platform/src/data/connection';
import { EngineDatabase } from '../../../../platform/src/data/database';
import { CredentialVerifier } from '../../../../platform/src/security/auth/credentials';
import { LoginThrottle } from '../../../../platform/src/security/auth/login-throttle';
import { SqlLoginThrottleStore } from '../../../../platform/src/security/auth/login-throttle-store';
import { PasswordService } from '../../../../platform/src/security/auth/password-service';
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
    const database = new EngineDatabase(dataSource);
    const credentials = new CredentialVerifier(
      database,
      () => model,
      new LoginThrottle(new SqlLoginThrottleStore(database)),
    );
    const result = await new PasswordService(database, () => model, credentials)
      .setByUsername(tenant, username, password)
      .catch((error: unknown) => {
        // The policy's reasons and "not found" are the message; no stack for a mistyped name.
        throw error instanceof ApiError ? new Error(error.message) : error;
      });
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
