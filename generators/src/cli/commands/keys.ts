import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { compileModel } from '../../../../metadata/src/model/compile';
import { validateMetadata } from '../../../../metadata/src/validator';
import {
  EngineDatabase,
  createDataSource,
  generateKey,
  loadDatabaseConfig,
  loadKeyRing,
  rotateSensitiveColumns,
} from '../../../../platform/src';
import { findRepoRoot } from '../repo-root';

export function register(program: Command): void {
  const keys = program
    .command('keys')
    .description('encryption keys of sensitive fields (MES_ENCRYPTION_KEY)');
  keys
    .command('generate')
    .description('print a new random key for MES_ENCRYPTION_KEY')
    .action(() => {
      process.stdout.write(`${generateKey()}\n`);
    });
  keys
    .command('rotate')
    .description('re-encrypt every sensitive column with the first key of MES_ENCRYPTION_KEY="new,old"')
    .action(() => rotate());
}

async function rotate(): Promise<void> {
  const ring = loadKeyRing();
  const { set } = validateMetadata([join(findRepoRoot(), 'metadata', 'modules')]);
  const model = compileModel(set, { version: 1 });
  const dataSource = await createDataSource(loadDatabaseConfig());
  try {
    const result = await rotateSensitiveColumns(new EngineDatabase(dataSource), model, ring);
    for (const [column, count] of Object.entries(result.rewritten))
      process.stdout.write(
        `${pc.green('✓')} ${column}: ${count} value(s) re-encrypted with key ${ring.activeKeyId}\n`,
      );
  } finally {
    await dataSource.destroy();
  }
}
