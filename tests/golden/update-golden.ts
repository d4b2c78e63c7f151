/**
 * `npm run golden:update`: rewrites the golden files the tests compare against — the generator
 * outputs of the fixture project and the migration rendered from the fixture model — from the
 * current generators. The tests only read them; review the diff before committing it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runGenerate } from '../../generators/src/codegen/run';
import { renderMigration } from '../../generators/src/migrations/render-migration';
import { diffSnapshots } from '../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot } from '../../metadata/src/model/snapshot';
import {
  copyFixtureProject,
  GOLDEN_DIR,
  snapshotFiles,
  TEMPLATE_DIR,
} from '../fixtures/generators/fixture-project';
import { fixtureModel } from '../fixtures/migrations/model';
import { GENERATED_OUTPUT_DIRS, GOLDEN_SUFFIX, MIGRATION_GOLDEN, MIGRATION_SOURCE } from './golden-files';

async function updateGeneratorGolden(): Promise<number> {
  const { root, dispose } = copyFixtureProject();
  try {
    const report = await runGenerate({ root, check: false, templateDir: TEMPLATE_DIR });
    if (report.errors.length > 0) throw new Error(`mes generate failed: ${JSON.stringify(report.errors)}`);
    const outputs = snapshotFiles(root, GENERATED_OUTPUT_DIRS);
    rmSync(GOLDEN_DIR, { recursive: true, force: true });
    for (const [path, content] of outputs) {
      mkdirSync(dirname(join(GOLDEN_DIR, path)), { recursive: true });
      writeFileSync(join(GOLDEN_DIR, path + GOLDEN_SUFFIX), content);
    }
    return outputs.size;
  } finally {
    dispose();
  }
}

async function updateMigrationGolden(): Promise<void> {
  const changes = diffSnapshots(emptySnapshot(), toSnapshot(fixtureModel()));
  writeFileSync(MIGRATION_GOLDEN, (await renderMigration(changes, MIGRATION_SOURCE)).content);
}

async function main(): Promise<void> {
  const outputs = await updateGeneratorGolden();
  await updateMigrationGolden();
  process.stdout.write(`golden files written: ${outputs} generator outputs, 1 migration\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
