import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { countErrors } from '../../../metadata/src/diagnostic';
import { loadMetadata } from '../../../metadata/src/loader';
import type { StudioLayer } from '../../../metadata/src/studio/layer';
import { validateMetadata } from '../../../metadata/src/validator';
import { contentFromFiles, studioFiles } from '../../../generators/src/studio/studio-files';
import { adoptStudioTables } from '../../../generators/src/studio/studio-adopt';
import { pendingSchemaChanges, SNAPSHOT_FILE } from '../../../generators/src/migrations/generate-migration';
import { compileModel } from '../../../metadata/src/model/compile';
import { ENGINEERING_PROBLEM, engineeringProblemContent } from '../../support/engineering-problem';

const ROOT = resolve(__dirname, '../../..');

describe('studio metadata as repository files (mes metadata pull / push)', () => {
  const layer = engineeringProblemContent() as unknown as StudioLayer;
  const repository = loadMetadata([join(ROOT, 'metadata')]).documents;
  let checkout: string;

  beforeAll(() => {
    checkout = mkdtempSync(join(tmpdir(), 'mes-studio-pull-'));
    cpSync(join(ROOT, 'metadata', 'modules'), join(checkout, 'metadata', 'modules'), { recursive: true });
  });
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  it('writes the published layer in the repository layout, and `mes validate` passes on it', () => {
    const { files, conflicts } = studioFiles(layer, repository, ROOT);
    expect(conflicts).toEqual([]);
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'metadata/modules/quality/entities/engineering-problem.yaml',
        'metadata/modules/quality/forms/engineering-problem.yaml',
        'metadata/modules/quality/workflows/engineering-problem-lifecycle.yaml',
        'metadata/modules/quality/menus/engineering.yaml',
        'metadata/modules/organisation/roles/operator.yaml',
      ]),
    );
    for (const file of files) {
      mkdirSync(dirname(join(checkout, file.path)), { recursive: true });
      writeFileSync(join(checkout, file.path), file.text);
    }
    const { set, diagnostics } = validateMetadata([checkout]);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(countErrors(diagnostics)).toBe(0);
    expect(set.roles.get('operator')?.permissions).toContain('engineering_problem:create');
    expect(
      readFileSync(join(checkout, 'metadata/modules/organisation/roles/operator.yaml'), 'utf8'),
    ).toContain('label: { en: Operator, zh: 操作员 }');
  });

  it('reports a document the repository declares differently instead of overwriting it', () => {
    const clash = { ...ENGINEERING_PROBLEM, entity: 'ncr' };
    const { files, conflicts } = studioFiles({ documents: [clash], grants: {} }, repository, ROOT);
    expect(files).toEqual([]);
    expect(conflicts).toEqual([expect.objectContaining({ document: 'entity:ncr' })]);
  });

  it('reads pushed files back into change-set content: documents, and grants for existing roles', () => {
    const pulled = join(checkout, 'metadata/modules');
    const content = contentFromFiles(
      [
        join(pulled, 'quality/entities/engineering-problem.yaml'),
        join(pulled, 'quality/workflows/engineering-problem-lifecycle.yaml'),
        join(pulled, 'organisation/roles/operator.yaml'),
      ],
      repository,
    );
    expect(content.documents.map((d) => Object.values(d)[0])).toEqual([
      'engineering_problem',
      'engineering_problem_lifecycle',
    ]);
    expect(content.grants).toEqual({ operator: layer.grants.operator });
  });

  it('adopts the studio tables after a pull, so `mes migrate generate` finds no difference', async () => {
    mkdirSync(join(checkout, 'database', 'snapshots'), { recursive: true });
    cpSync(join(ROOT, SNAPSHOT_FILE), join(checkout, SNAPSHOT_FILE));
    const { set } = validateMetadata([checkout]);
    const model = compileModel(set, { version: 1 });
    // Pulled files alone would make the generator create the table the studio made already.
    expect(pendingSchemaChanges(checkout, model)).toEqual([
      expect.objectContaining({
        kind: 'createTable',
        table: expect.objectContaining({ name: 'engineering_problem' }),
      }),
    ]);
    const adoption = await adoptStudioTables(checkout, layer, model, 3, 1_765_000_000_000);
    expect(adoption.migrationFile).toBe('database/migrations/1765000000000-adopt-studio-version-3.ts');
    expect(pendingSchemaChanges(checkout, model)).toEqual([]);
    const migration = readFileSync(join(checkout, adoption.migrationFile!), 'utf8');
    // Created only where missing; reverting leaves the studio's table and its data.
    expect(migration).toContain("name: 'engineering_problem'");
    expect(migration).toMatch(/true,\s*true,\s*true,?\s*\)/);
    expect(migration).toMatch(
      /public async down\(_queryRunner: QueryRunner\): Promise<void> \{\s*\/\/ The tables stay, with their data.\s*\}/,
    );
    // A second pull of the same version has nothing left to adopt.
    expect((await adoptStudioTables(checkout, layer, model, 3)).migrationFile).toBeUndefined();
  });
});
