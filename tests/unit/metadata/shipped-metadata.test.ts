import { relative } from 'node:path';
import { validateMetadata } from '../../../metadata/src/validator';
import { REPO_ROOT } from './fixtures';

describe('shipped metadata (core modules and every plugin)', () => {
  const { set, diagnostics } = validateMetadata([REPO_ROOT]);

  it('validates clean', () => {
    const problems = diagnostics.map(
      (d) =>
        `${relative(REPO_ROOT, d.file)}:${d.line}:${d.col} ${d.rule} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
    );
    expect(problems).toEqual([]);
  });

  it('holds core entities and both plugins', () => {
    expect(set.entities.has('work_order')).toBe(true);
    expect([...set.plugins.keys()].sort()).toEqual(['maintenance', 'procurement']);
    expect(set.sources.get('entity:work_order')).toEqual({
      file: expect.stringContaining('metadata/modules/production/entities/'),
      origin: 'core',
    });
  });

  it('labels every enum value of every module and plugin in English and Chinese (itself or as a workflow state)', () => {
    const unlabelled: string[] = [];
    const modules = new Set<string>();
    for (const entity of set.entities.values()) {
      modules.add(entity.module);
      const workflow = entity.workflow ? set.workflows.get(entity.workflow) : undefined;
      for (const [name, field] of Object.entries(entity.fields)) {
        if (field.type !== 'enum') continue;
        for (const value of field.values) {
          const code = typeof value === 'string' ? value : value.value;
          const own = typeof value === 'string' ? undefined : value.label;
          const state = name === (workflow?.field ?? 'status') ? workflow?.states[code]?.label : undefined;
          const label = own ?? state;
          if (!label || typeof label === 'string' || !label.en || !label.zh)
            unlabelled.push(`${entity.entity}.${name} ${code}`);
        }
      }
    }
    expect(unlabelled).toEqual([]);
    // the check walks the core modules and both plugins, not a chosen few
    expect([...modules].sort()).toEqual([
      'bi',
      'configuration',
      'inventory',
      'logging',
      'maintenance',
      'masterdata',
      'organisation',
      'procurement',
      'production',
      'quality',
      'traceability',
    ]);
  });

  it('resolves work_order as recorded', () => {
    expect(set.entities.get('work_order')).toMatchSnapshot();
  });
});
