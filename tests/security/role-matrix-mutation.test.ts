/**
 * The role matrix bites: with one permission taken from one role in a copy of the metadata, the
 * server started on that copy disagrees with the oracle of the shipped role files in exactly that
 * cell, and agrees everywhere with the oracle of the copy.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMatrixServer, type MatrixServer } from './matrix-server';
import { agrees, buildCells, judge, prepareFixtures, sendCells } from './role-matrix';
import { RoleOracle } from './role-oracle';

const ROLE = 'production_planner';
const ENTITY = 'work_order';
const REMOVED = 'work_order:release';

describe('role matrix mutation', () => {
  const root = mkdtempSync(join(tmpdir(), 'mes-matrix-mutation-'));
  const rolesDir = join(root, 'metadata', 'modules', 'organisation', 'roles');
  let ms: MatrixServer;

  beforeAll(async () => {
    cpSync(join(__dirname, '..', '..', 'metadata', 'modules'), join(root, 'metadata', 'modules'), {
      recursive: true,
    });
    const file = join(rolesDir, 'production-planner.yaml');
    const original = readFileSync(file, 'utf8');
    const mutated = original.replace(`  - ${REMOVED}\n`, '');
    if (mutated === original) throw new Error(`${REMOVED} is not granted in ${file}`);
    writeFileSync(file, mutated);
    ms = await startMatrixServer('sqlite', 'role_matrix_mutation', [ROLE], root);
  }, 300_000);
  afterAll(async () => {
    await ms?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it(`removing ${REMOVED} from ${ROLE} fails the shipped oracle in exactly that cell`, async () => {
    const shipped = new RoleOracle();
    const copy = new RoleOracle(rolesDir);
    const model = ms.server.registry.current();
    const entities = [model.entities.get(ENTITY)!];
    const fixtures = await prepareFixtures(ms, model, entities, [ROLE]);
    const cells = buildCells(model, fixtures, [ROLE], entities);

    const replies = await sendCells(ms, cells);

    const againstShipped = judge(shipped, cells, replies);
    expect(
      againstShipped.filter((o) => !agrees(o)).map((o) => [o.entity, o.action, o.role, o.status]),
    ).toEqual([[ENTITY, 'release', ROLE, 403]]);
    const againstCopy = judge(copy, cells, replies);
    expect(againstCopy.filter((o) => !agrees(o))).toEqual([]);
    // Every other cell of the role on the entity, allowed and denied, still agrees with the shipped files.
    expect(againstShipped.filter((o) => o.expected === 'allowed').map((o) => o.action)).toEqual([
      'list',
      'get',
      'create',
      'update',
      'release',
      'hold',
      'resume',
      'cancel',
    ]);
    expect(againstShipped.filter((o) => o.expected === 'denied').map((o) => o.action)).toEqual([
      'delete',
      'export',
      'import',
      'start',
      'complete',
    ]);
  });
});
