import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { compileModel } from '../../../../metadata/src/model/compile';
import { validateMetadata } from '../../../../metadata/src/validator';
import {
  EngineDatabase,
  createDataSource,
  loadDatabaseConfig,
  rebuildRollups,
} from '../../../../platform/src';
import { findRepoRoot } from '../repo-root';

interface RebuildOptions {
  tenant?: string;
}

export function register(program: Command): void {
  const bi = program.command('bi').description('analytics (DATABASE_URL selects the database)');
  bi.command('rebuild')
    .description(
      'recompute the rollup tables the dashboards read from the records, in one transaction per rollup; ' +
        'events arriving meanwhile are applied on top',
    )
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .action((options: RebuildOptions) => rebuild(options));
}

async function rebuild(options: RebuildOptions): Promise<void> {
  const { set } = validateMetadata([join(findRepoRoot(), 'metadata', 'modules')]);
  const model = compileModel(set, { version: 1 });
  const dataSource = await createDataSource(loadDatabaseConfig());
  try {
    const results = await rebuildRollups(new EngineDatabase(dataSource), model, options.tenant ?? null);
    for (const result of results)
      process.stdout.write(
        `${pc.green('✓')} ${result.rollup}: ${result.rows} row(s) in ${result.cells} hourly and ${result.days} daily cell(s)\n`,
      );
  } finally {
    await dataSource.destroy();
  }
}
