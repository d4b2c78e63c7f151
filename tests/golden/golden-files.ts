/** Where the golden files live and what they are made from; shared by the tests and `npm run golden:update`. */
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures/generators/fixture-project';

/** Output folders of `mes generate` compared with tests/fixtures/generators/golden. */
export const GENERATED_OUTPUT_DIRS = [
  'platform/src/generated/',
  'ui-runtime/src/generated/',
  'docs/entities/',
];
export const GOLDEN_SUFFIX = '.golden';

export const MIGRATION_GOLDEN = join(
  REPO_ROOT,
  'tests',
  'fixtures',
  'migrations',
  'golden',
  '1700000000000-fixture-initial.ts',
);
export const MIGRATION_SOURCE = {
  name: 'fixture-initial',
  timestamp: 1700000000000,
  modelHash: 'fixturehash',
};
