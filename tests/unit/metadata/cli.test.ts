import { join } from 'node:path';
import { parse } from 'yaml';
import type { Diagnostic } from '../../../metadata/src/diagnostic';
import { runMes, type MesRun } from '../../support/run-mes';
import { FIXTURES, REPO_ROOT } from './fixtures';

function mes(...args: string[]): Promise<MesRun> {
  return runMes(args);
}

describe('mes CLI', () => {
  it('validate prints file:line:col, rule, message and hint, a summary, and exits 1 on errors', async () => {
    const { stdout, exitCode } = await mes('validate', join(FIXTURES, 'base'), join(FIXTURES, 'schema'));
    expect(exitCode).toBe(1);
    expect(stdout).toMatch(
      /typos\.yaml:6:39.*error.*unevaluatedProperties.*unknown property `requird` on a string field/,
    );
    expect(stdout).toContain('hint: did you mean `required`?');
    expect(stdout).toMatch(/15 errors, 0 warnings in 2 files \(13 valid documents\)/);
  });

  it('validate exits 0 on clean metadata', async () => {
    const { stdout, exitCode } = await mes('validate', join(FIXTURES, 'base'));
    expect(exitCode).toBe(0);
    expect(stdout).toContain('13 documents valid');
  });

  it('validates one module of the project in the context of the others, reporting only its files', async () => {
    const production = join(REPO_ROOT, 'metadata', 'modules', 'production');
    const { stdout, exitCode } = await mes('validate', '--json', production);
    const diagnostics = JSON.parse(stdout) as Diagnostic[];
    expect(diagnostics.filter((diagnostic) => !diagnostic.file.startsWith(production))).toEqual([]);
    expect(exitCode).toBe(diagnostics.length > 0 ? 1 : 0);
  });

  it('validate --json prints the diagnostics as JSON', async () => {
    const { stdout, exitCode } = await mes(
      'validate',
      '--json',
      join(FIXTURES, 'base'),
      join(FIXTURES, 'workflows'),
    );
    const diagnostics = JSON.parse(stdout) as Diagnostic[];
    expect(exitCode).toBe(1);
    // 14 errors, and 4 warnings for the transitions no role of the fixtures may perform.
    expect(diagnostics.filter((d) => d.severity === 'error')).toHaveLength(14);
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => d.rule)).toEqual(
      Array(4).fill('workflow-unperformable'),
    );
    expect(diagnostics[0]).toEqual({
      file: join(FIXTURES, 'workflows', 'gate-flow.yaml'),
      line: 5,
      col: 10,
      path: '/initial',
      rule: 'workflow-initial',
      message: 'initial state `START` is not a state of this workflow',
      hint: 'states: OPEN, SHUT',
      severity: 'error',
    });
  });

  it('metadata show prints the resolved entity as YAML or JSON', async () => {
    const yaml = await mes('metadata', 'show', 'work_order');
    expect(parse(yaml.stdout)).toMatchObject({ entity: 'work_order', module: 'production' });
    const json = await mes('metadata', 'show', 'work_order', '--json');
    expect(JSON.parse(json.stdout)).toEqual(parse(yaml.stdout));
  });

  it('metadata show --compiled prints the engine view: table, columns, system columns, derived indexes', async () => {
    const { stdout, exitCode } = await mes('metadata', 'show', 'work_order', '--compiled', '--json');
    expect(exitCode).toBe(0);
    const compiled = JSON.parse(stdout) as {
      table: string;
      fields: { name: string; apiName: string; column: string }[];
      systemColumns: { column: string }[];
      indexes: { columns: string[]; origin?: string }[];
    };
    expect(compiled.table).toBe('work_order');
    expect(compiled.fields.find((f) => f.name === 'planned_quantity')).toMatchObject({
      apiName: 'plannedQuantity',
      column: 'planned_quantity',
    });
    expect(compiled.systemColumns.map((c) => c.column)).toEqual(
      expect.arrayContaining(['id', 'tenant_id', 'version', 'deleted_at']),
    );
    expect(compiled.indexes.some((index) => index.columns[0] === 'tenant_id')).toBe(true);
  });

  it('metadata show names the closest entity when the name is wrong', async () => {
    const { stderr, exitCode } = await mes('metadata', 'show', 'work_ordr');
    expect(exitCode).toBe(1);
    expect(stderr).toContain('entity `work_ordr` does not exist; did you mean `work_order`?');
  });

  it('--help lists the commands and examples', async () => {
    const { stdout, exitCode } = await mes('--help');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('validate [options] [paths...]');
    expect(stdout).toContain('$ mes metadata show work_order');
  });

  it('rejects an unknown command', async () => {
    const { stderr, exitCode } = await mes('valdate');
    expect(exitCode).toBe(1);
    expect(stderr).toContain("unknown command 'valdate'");
  });
});
