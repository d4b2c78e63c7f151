import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateMetadata } from '../../../metadata/src/validator';
import { runMes } from '../../support/run-mes';
import { parseFieldSpec, scaffoldEntity } from '../../../generators/src/scaffold/entity';
import { scaffoldPlugin } from '../../../generators/src/scaffold/plugin';
import { writeScaffold } from '../../../generators/src/scaffold/write';
import { copyFixtureProject } from '../../fixtures/generators/fixture-project';

let root: string;
let dispose: () => void;

beforeEach(() => {
  ({ root, dispose } = copyFixtureProject());
});
afterEach(() => dispose());

const errorsOf = () => validateMetadata([root]).diagnostics.filter((d) => d.severity === 'error');

describe('mes new', () => {
  it('scaffolds an entity with every field kind that validates as written', () => {
    const fields = [
      'code:string!',
      'qty:integer',
      'weight:decimal',
      'done:boolean',
      'due_on:date',
      'state:enum=OPEN|CLOSED',
      'part:relation=part',
      'remark:text',
    ].map(parseFieldSpec);
    const files = scaffoldEntity(root, {
      module: 'shop',
      name: 'scrap_note',
      label: { en: 'Scrap note', zh: '报废单' },
      fields,
    });
    expect(files.map((f) => f.path)).toEqual(['metadata/modules/shop/entities/scrap-note.yaml']);
    writeScaffold(root, files);
    expect(errorsOf()).toEqual([]);
    const entity = validateMetadata([root]).set.entities.get('scrap_note');
    expect(entity).toMatchObject({
      display: 'code',
      fields: { code: { required: true }, state: { values: ['OPEN', 'CLOSED'] } },
    });
  });

  it('adds module.yaml for a new module and writes into a plugin when the module is a plugin', () => {
    writeScaffold(
      root,
      scaffoldEntity(root, {
        module: 'lab',
        name: 'sample',
        label: { en: 'Sample', zh: '样品' },
        fields: [],
      }),
    );
    writeScaffold(
      root,
      scaffoldEntity(root, {
        module: 'care',
        name: 'care_log',
        label: { en: 'Care log', zh: '保养记录' },
        fields: [],
      }),
    );
    expect(existsSync(join(root, 'metadata/modules/lab/module.yaml'))).toBe(true);
    expect(existsSync(join(root, 'plugins/care/metadata/entities/care-log.yaml'))).toBe(true);
    expect(errorsOf()).toEqual([]);
  });

  it('refuses to overwrite an existing entity', () => {
    const spec = { module: 'shop', name: 'part', label: { en: 'Part', zh: '零件' }, fields: [] };
    expect(() => writeScaffold(root, scaffoldEntity(root, spec))).toThrow(
      'refusing to overwrite metadata/modules/shop/entities/part.yaml',
    );
  });

  it('rejects a malformed field spec naming the spec and the expectation', () => {
    expect(() => parseFieldSpec('qty')).toThrow("--field 'qty': expected name:type");
    expect(() => parseFieldSpec('qty:float')).toThrow("unknown type 'float'");
    expect(() => parseFieldSpec('state:enum')).toThrow('enum needs values');
    expect(() => parseFieldSpec('Qty:integer')).toThrow('snake_case');
  });

  it('scaffolds a plugin folder that validates and whose server entry exports register', () => {
    writeScaffold(
      root,
      scaffoldPlugin({ name: 'energy', label: { en: 'Energy', zh: '能源' }, engine: '^0.1.0' }),
    );
    for (const path of [
      'plugin.yaml',
      'metadata/entities/.gitkeep',
      'server/index.ts',
      'migrations/.gitkeep',
    ]) {
      expect(existsSync(join(root, 'plugins/energy', path))).toBe(true);
    }
    expect(readFileSync(join(root, 'plugins/energy/server/index.ts'), 'utf8')).toContain(
      'export function register(api: unknown): void',
    );
    expect(validateMetadata([root]).set.plugins.get('energy')).toMatchObject({
      version: '0.1.0',
      engine: '^0.1.0',
    });
    expect(errorsOf()).toEqual([]);
  });

  it('runs from the CLI with flags and --json, without prompting when stdin is not a terminal', async () => {
    const args = ['new', 'entity', 'shop/tool', '--field', 'tool_code:string!', '--json'];
    const { stdout, exitCode } = await runMes(args, { cwd: root });
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      files: ['metadata/modules/shop/entities/tool.yaml'],
      diagnostics: [],
    });
    expect(readFileSync(join(root, 'metadata/modules/shop/entities/tool.yaml'), 'utf8')).toContain(
      'en: Tool',
    );
  });
});
