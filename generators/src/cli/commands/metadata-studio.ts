import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { countErrors } from '../../../../metadata/src/diagnostic';
import { loadMetadata } from '../../../../metadata/src/loader';
import { compileModel } from '../../../../metadata/src/model/compile';
import { validateMetadata } from '../../../../metadata/src/validator';
import type { StudioLayer } from '../../../../metadata/src/studio/layer';
import {
  createDataSource,
  describeDatabase,
  loadDatabaseConfig,
  StudioVersionStore,
} from '../../../../platform/src';
import { adoptStudioTables, type Adoption } from '../../studio/studio-adopt';
import { contentFromFiles, studioFiles, type StudioConflict } from '../../studio/studio-files';
import { findRepoRoot } from '../repo-root';

interface ServerOptions {
  server?: string;
  token?: string;
}

interface PullOptions extends ServerOptions {
  out?: string;
  json?: boolean;
}

interface PushOptions extends ServerOptions {
  title?: string;
  json?: boolean;
}

interface Published {
  version: number;
  layer: StudioLayer;
  conflicts: { document: string; path: string; rule: string; message: string }[];
}

/** `mes metadata pull` and `mes metadata push`: the Metadata Studio's published metadata and git. */
export function registerStudioCommands(metadata: Command): void {
  metadata
    .command('pull')
    .description(
      'write the metadata published in the Metadata Studio as YAML in the repository layout (from the database of DATABASE_URL, or a running server with --server)',
    )
    .option('--out <dir>', 'the folder to write into (the repository root by default)')
    .option('--server <url>', 'read it from this server (e.g. http://localhost:3000)')
    .option(
      '--token <token>',
      'bearer token of a user holding metadata:edit for --server (default: MES_TOKEN)',
    )
    .option('--json', 'print the files written and the conflicts as JSON')
    .action((options: PullOptions) => pull(options));

  metadata
    .command('push')
    .description('load metadata files into a new Metadata Studio change set (a draft to review and publish)')
    .argument(
      '<files...>',
      'YAML metadata files, one document each, or folders (e.g. a pulled checkout): what they add to the repository',
    )
    .requiredOption('--server <url>', 'the server to create the change set on (e.g. http://localhost:3000)')
    .option('--token <token>', 'bearer token of a user holding metadata:edit (default: MES_TOKEN)')
    .option('--title <title>', 'title of the change set', 'Pushed from git')
    .option('--json', 'print the change set and its validation as JSON')
    .action((files: string[], options: PushOptions) => push(files, options));
}

async function pull(options: PullOptions): Promise<void> {
  const root = findRepoRoot();
  const out = resolve(options.out ?? root);
  const published = options.server ? await fromServer(options) : await fromDatabase();
  const repository = loadMetadata([root]).documents;
  const { files, conflicts } = studioFiles(published.layer, repository, root);
  for (const file of files) {
    const target = join(out, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text);
  }
  const reported: StudioConflict[] = [
    ...conflicts,
    ...published.conflicts.map((c) => ({
      document: c.document,
      path: c.path,
      message: `${c.rule}: ${c.message}`,
    })),
  ];
  const adoption = reported.length === 0 ? await adopt(out, published) : undefined;
  if (options.json)
    process.stdout.write(
      `${JSON.stringify(
        {
          version: published.version,
          files: files.map((f) => f.path),
          conflicts: reported,
          ...(adoption?.migrationFile
            ? { migration: adoption.migrationFile, snapshot: adoption.snapshotFile }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
  else {
    process.stdout.write(`studio version ${published.version}: ${files.length} file(s) written to ${out}\n`);
    for (const file of files) process.stdout.write(`  ${file.path}\n`);
    if (adoption?.migrationFile)
      process.stdout.write(
        `  ${adoption.migrationFile} and ${adoption.snapshotFile ?? ''}: the studio's tables are adopted (created only where missing)\n`,
      );
    for (const conflict of reported)
      process.stderr.write(`${pc.yellow('conflict')} ${conflict.document}: ${conflict.message}\n`);
  }
  if (reported.length > 0) process.exitCode = 1;
}

/**
 * Records the pulled entities' tables in the snapshot of `out` with a migration that creates them
 * only where missing, so `mes migrate generate` does not take the studio's tables for new ones.
 */
async function adopt(out: string, published: Published): Promise<Adoption | undefined> {
  const { set, diagnostics } = validateMetadata([out]);
  if (countErrors(diagnostics) > 0) {
    process.stderr.write(
      `${pc.yellow('warning')} the metadata in ${out} does not validate (run \`mes validate\`): the studio's tables are not adopted into database/snapshots\n`,
    );
    return undefined;
  }
  return adoptStudioTables(out, published.layer, compileModel(set, { version: 1 }), published.version);
}

async function fromServer(options: ServerOptions): Promise<Published> {
  return (await call(options, 'GET', '/api/studio/published')) as Published;
}

async function fromDatabase(): Promise<Published> {
  const config = loadDatabaseConfig();
  const dataSource = await createDataSource(config);
  try {
    const current = await new StudioVersionStore(dataSource).current().catch(() => {
      throw new Error(
        `${describeDatabase(config)} has no ext_metadata_version table: run \`mes migrate run\` first`,
      );
    });
    return {
      version: current?.version ?? 0,
      layer: current?.layer ?? { documents: [], grants: {} },
      conflicts: [],
    };
  } finally {
    await dataSource.destroy();
  }
}

async function push(paths: string[], options: PushOptions): Promise<void> {
  const root = findRepoRoot();
  const content = contentFromFiles(
    paths.map((p) => resolve(p)),
    loadMetadata([root]).documents,
  );
  const created = (await call(options, 'POST', '/api/studio/change-sets', {
    title: options.title ?? 'Pushed from git',
    content,
  })) as { id: number; csNo: string };
  const check = (await call(options, 'GET', `/api/studio/change-sets/${created.id}/preview`)) as {
    valid: boolean;
    errors: { document: string; path: string; rule: string; message: string }[];
  };
  if (options.json) process.stdout.write(`${JSON.stringify({ changeSet: created, ...check }, null, 2)}\n`);
  else {
    process.stdout.write(`change set ${created.csNo} (id ${created.id}) created as a draft\n`);
    for (const error of check.errors)
      process.stderr.write(
        `${pc.red('error')} ${error.document}${error.path} ${error.rule}: ${error.message}\n`,
      );
  }
  if (!check.valid) process.exitCode = 1;
}

async function call(options: ServerOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = options.token ?? process.env.MES_TOKEN;
  const url = new URL(path, options.server);
  const response = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const parsed = (await response.json()) as { data?: unknown; code?: string; message?: string };
  if (!response.ok)
    throw new Error(
      `${url.origin} answered ${response.status} ${parsed.code ?? ''}: ${parsed.message ?? ''}`,
    );
  return parsed.data;
}
