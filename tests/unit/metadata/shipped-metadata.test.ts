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

  it('resolves work_order as recorded', () => {
    expect(set.entities.get('work_order')).toMatchSnapshot();
  });
});
