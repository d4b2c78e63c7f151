import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runMes } from '../../support/run-mes';
import { testDatabases } from './helpers';

const committed = readdirSync(join(__dirname, '..', '..', '..', 'database', 'migrations')).filter((f) =>
  f.endsWith('.ts'),
);

/** Runs `mes <args>` in-process with DATABASE_URL set and returns what it printed to stdout. */
async function mes(url: string, ...args: string[]): Promise<string> {
  const { stdout, exitCode } = await runMes(args, { env: { DATABASE_URL: url } });
  if (exitCode !== 0) throw new Error(`mes ${args.join(' ')} exited ${exitCode}`);
  return stdout;
}

describe.each(testDatabases('cli'))('mes migrate on $dialect with the committed migrations', (database) => {
  afterAll(() => database.drop());

  it('runs, reports, reverts and re-runs every committed migration, the core schema included', async () => {
    await database.create();
    const before = JSON.parse(await mes(database.url, 'migrate', 'status', '--json')) as {
      applied: boolean;
    }[];
    expect(before).toHaveLength(committed.length);
    expect(before.every((m) => !m.applied)).toBe(true);

    const run = JSON.parse(await mes(database.url, 'migrate', 'run', '--json')) as { applied: string[] };
    expect(run.applied).toHaveLength(committed.length);
    expect(run.applied).toContainEqual(expect.stringMatching(/^InitialCore\d{13}$/));

    const last = run.applied[run.applied.length - 1];
    expect(JSON.parse(await mes(database.url, 'migrate', 'revert', '--json'))).toEqual({ reverted: last });
    expect(JSON.parse(await mes(database.url, 'migrate', 'run', '--json'))).toEqual({ applied: [last] });

    const after = JSON.parse(await mes(database.url, 'migrate', 'status', '--json')) as {
      applied: boolean;
    }[];
    expect(after.every((m) => m.applied)).toBe(true);
    // MariaDB runs each of the few hundred DDL statements of the core schema on its own.
  }, 240_000);
});
