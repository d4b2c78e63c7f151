import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { Logger } from 'typeorm';
import { countErrors } from '../../../../metadata/src/diagnostic';
import { compileModel } from '../../../../metadata/src/model/compile';
import type { SchemaChange } from '../../../../metadata/src/model/schema-diff';
import type { Model } from '../../../../metadata/src/model/types';
import { validateMetadata } from '../../../../metadata/src/validator';
import {
  createDataSource,
  describeDatabase,
  loadDatabaseConfig,
  migrationFilesGlob,
  migrationStatus,
  revertLastMigration,
  runMigrations,
} from '../../../../platform/src';
import { generateMigration, MIGRATIONS_DIR, pendingSchemaChanges } from '../../migrations/generate-migration';
import { assertMigrationName } from '../../migrations/render-migration';
import { findRepoRoot } from '../repo-root';

interface GenerateOptions {
  allowDestructive?: boolean;
}

interface JsonOption {
  json?: boolean;
}

export function register(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('generate, run and revert database migrations (DATABASE_URL selects the database)');

  migrate
    .command('generate')
    .description('diff the core metadata against database/snapshots and write a migration for the difference')
    .argument('<name>', 'kebab-case name, e.g. add-work-order-priority')
    .option('--allow-destructive', 'allow dropping tables and columns (their data is lost)')
    .action((name: string, options: GenerateOptions) => generate(name, options));

  migrate
    .command('check')
    .description('fail when the core metadata changed the schema without a migration (for CI)')
    .option('--json', 'print the missing changes as JSON')
    .action((options: JsonOption) => check(options));

  migrate
    .command('run')
    .description('apply every pending migration')
    .option('--json', 'print the applied migrations as JSON')
    .action((options: JsonOption) => withDatabase(options, run));

  migrate
    .command('revert')
    .description('revert the most recently applied migration')
    .option('--json', 'print the reverted migration as JSON')
    .action((options: JsonOption) => withDatabase(options, revert));

  migrate
    .command('status')
    .description('list migrations and whether each is applied')
    .option('--json', 'print the list as JSON')
    .action((options: JsonOption) => withDatabase(options, status));
}

/** The compiled Model of the validated metadata; refuses metadata with errors. */
function loadModel(root: string, quiet = false): Model {
  if (!quiet) progress('Loading and validating the metadata (core modules and plugins)');
  const { set, diagnostics } = validateMetadata([root]);
  const errors = countErrors(diagnostics);
  if (errors > 0)
    throw new Error(`the metadata has ${errors} error(s); run \`mes validate\` and fix them first`);
  const model = compileModel(set, { version: 1 });
  const core = [...model.entities.values()].filter((e) => e.origin === 'core').length;
  if (!quiet) progress(`Compiled ${core} core entities (model ${model.hash}); diffing against the snapshot`);
  return model;
}

function check(options: JsonOption): void {
  const root = findRepoRoot();
  const changes = pendingSchemaChanges(root, loadModel(root, options.json));
  if (options.json) process.stdout.write(`${JSON.stringify(changes, null, 2)}\n`);
  else if (changes.length === 0)
    process.stdout.write(`${pc.green('✔')} every schema change has its migration\n`);
  else
    process.stdout.write(
      `${pc.red('✖')} the metadata changed the schema without a migration (${summarize(changes)}); ` +
        'run `mes migrate generate <name>`\n',
    );
  if (changes.length > 0) process.exitCode = 1;
}

async function generate(name: string, options: GenerateOptions): Promise<void> {
  assertMigrationName(name);
  const root = findRepoRoot();
  const model = loadModel(root);
  const result = await generateMigration({ root, name, model, allowDestructive: options.allowDestructive });
  if (!result.migrationFile) {
    process.stdout.write(`${pc.green('✔')} the schema already matches the metadata; no migration written\n`);
    return;
  }
  process.stdout.write(
    `${pc.green('✔')} wrote ${result.migrationFile} (${summarize(result.changes)})\n` +
      `${pc.green('✔')} updated ${result.snapshotFile}\n` +
      `  next: review it, \`npm run build\`, then \`mes migrate run\`\n`,
  );
}

type DatabaseTask = (
  dataSource: Awaited<ReturnType<typeof createDataSource>>,
  json: boolean,
) => Promise<void>;

async function withDatabase(options: JsonOption, task: DatabaseTask): Promise<void> {
  const config = loadDatabaseConfig(process.env);
  const json = options.json ?? false;
  if (!json) progress(`Connecting to ${describeDatabase(config)}`);
  warnAboutUnbuiltMigrations(json);
  let dataSource;
  try {
    dataSource = await createDataSource(config, {
      migrations: [migrationFilesGlob()],
      logger: json ? undefined : progressLogger,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open ${describeDatabase(config)}: ${reason}`, { cause: error });
  }
  try {
    await task(dataSource, json);
  } finally {
    await dataSource.destroy();
  }
}

const run: DatabaseTask = async (dataSource, json) => {
  const pending = (await migrationStatus(dataSource)).filter((m) => !m.applied);
  if (!json) progress(`${pending.length} pending migration(s)${pending.length ? ':' : ''}`);
  if (!json) for (const migration of pending) progress(`  ${migration.name}`);
  const applied = await runMigrations(dataSource);
  if (json) process.stdout.write(`${JSON.stringify({ applied }, null, 2)}\n`);
  else process.stdout.write(`${pc.green('✔')} applied ${applied.length} migration(s)\n`);
};

const revert: DatabaseTask = async (dataSource, json) => {
  const reverted = await revertLastMigration(dataSource);
  if (json) process.stdout.write(`${JSON.stringify({ reverted: reverted ?? null }, null, 2)}\n`);
  else if (reverted) process.stdout.write(`${pc.green('✔')} reverted ${reverted}\n`);
  else process.stdout.write('nothing to revert: no migration is applied\n');
};

const status: DatabaseTask = async (dataSource, json) => {
  const migrations = await migrationStatus(dataSource);
  if (json) {
    process.stdout.write(`${JSON.stringify(migrations, null, 2)}\n`);
    return;
  }
  for (const migration of migrations)
    process.stdout.write(
      `${migration.applied ? pc.green('applied') : pc.yellow('pending')}  ${migration.name}\n`,
    );
  const pending = migrations.filter((m) => !m.applied).length;
  process.stdout.write(`${migrations.length} migration(s), ${pending} pending\n`);
};

/** Migrations are run compiled; a generated one that was not built yet would be silently missing. */
function warnAboutUnbuiltMigrations(json: boolean): void {
  if (json) return;
  const root = findRepoRoot();
  const sources = join(root, MIGRATIONS_DIR);
  const built = join(root, 'dist', MIGRATIONS_DIR);
  if (!existsSync(sources) || !__filename.endsWith('.js')) return;
  const missing = readdirSync(sources)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => !existsSync(join(built, f.replace(/\.ts$/, '.js'))));
  if (missing.length > 0)
    process.stderr.write(
      pc.yellow(
        `warning: ${missing.length} migration(s) not built yet (${missing.join(', ')}); run \`npm run build\`\n`,
      ),
    );
}

function summarize(changes: readonly SchemaChange[]): string {
  const counts = new Map<string, number>();
  for (const change of changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
}

/** Shows TypeORM's per-migration messages ("Migration X has been executed successfully.") as progress. */
const progressLogger: Logger = {
  logQuery: () => undefined,
  logQueryError: () => undefined,
  logQuerySlow: () => undefined,
  logSchemaBuild: (message) => {
    if (message.startsWith('Migration ')) progress(message);
  },
  logMigration: (message) => progress(message),
  log: () => undefined,
};

function progress(line: string): void {
  process.stderr.write(`${pc.dim('›')} ${line}\n`);
}
