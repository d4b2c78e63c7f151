/**
 * Field renames carried through a studio layer: which renames a change set makes, and how references
 * in other documents are rewritten — expressions through the parser (literals, `$` variables and
 * spacing kept), dot paths through relations, map keys, sort specs and identifier patterns.
 */
import { mergeLayer, type StudioLayer } from '../../../metadata/src/studio/layer';
import {
  fieldRenames,
  layerFieldLookup,
  rewriteFieldReferences,
  rewriteViewDefinition,
} from '../../../metadata/src/studio/renames';

const label = { en: 'x', zh: 'x' };
const problem = (fields: Record<string, unknown>) => ({
  entity: 'problem',
  label,
  module: 'quality',
  display: 'title',
  identifier: { field: 'code', pattern: 'P-{severity}-{seq:3}' },
  fields,
});
const before = problem({
  code: { type: 'string', label },
  title: { type: 'string', label },
  severity: { type: 'string', label },
});
const after = problem({
  code: { type: 'string', label },
  title: { type: 'string', label },
  level: { type: 'string', label, renamedFrom: 'severity' },
});
const task = {
  entity: 'task',
  label,
  module: 'quality',
  display: 'name',
  fields: {
    name: { type: 'string', label },
    severity: { type: 'string', label },
    problem: { type: 'relation', to: 'problem', label },
  },
  list: { columns: ['name', 'problem.severity', 'severity'], defaultSort: ['-problem.severity'] },
};
const taskFlow = {
  workflow: 'task_flow',
  entity: 'task',
  transitions: [
    {
      action: 'go',
      guard: "problem . severity == 'severity' and severity != $user.severity and len(problem.title) > 0",
      set: { severity: '=problem.severity' },
    },
  ],
};
const base: StudioLayer = { documents: [before, task, taskFlow], grants: {} };
const noEntities = () => undefined;

describe('studio field renames', () => {
  it('finds the renames a change set makes on a published entity only', () => {
    expect(fieldRenames(base, [after])).toEqual([{ entity: 'problem', from: 'severity', to: 'level' }]);
    // Published already with the new name: nothing more to rename.
    expect(fieldRenames({ documents: [after], grants: {} }, [after])).toEqual([]);
    expect(fieldRenames({ documents: [], grants: {} }, [after])).toEqual([]);
  });

  it('rewrites paths and expressions that reach the renamed field, and nothing else', () => {
    const merged = mergeLayer(base, { documents: [after], grants: {} });
    const { layer, rewritten } = rewriteFieldReferences(
      merged,
      fieldRenames(base, [after]),
      layerFieldLookup(merged, noEntities),
    );
    const [entity, list, flow] = layer.documents as unknown as [
      { identifier: { pattern: string } },
      { list: unknown },
      { transitions: { guard: string; set: unknown }[] },
    ];
    expect(entity.identifier.pattern).toBe('P-{level}-{seq:3}');
    expect(list.list).toEqual({
      columns: ['name', 'problem.level', 'severity'],
      defaultSort: ['-problem.level'],
    });
    // The task's own `severity`, the string literal and the `$user` variable stay; spacing is kept.
    expect(flow.transitions[0].guard).toBe(
      "problem . level == 'severity' and severity != $user.severity and len(problem.title) > 0",
    );
    expect(flow.transitions[0].set).toEqual({ severity: '=problem.level' });
    expect(rewritten.map((r) => `${r.document}${r.path}`)).toEqual([
      'studio/entity/problem/identifier/pattern',
      'studio/entity/task/list/columns/1',
      'studio/entity/task/list/defaultSort/0',
      'studio/workflow/task_flow/transitions/0/guard',
      'studio/workflow/task_flow/transitions/0/set/severity',
    ]);
    expect(merged.documents[1]).toBe(task);
    expect(task.list.columns[1]).toBe('problem.severity');
  });

  it('keeps documents without references, and an expression that does not parse, as they are', () => {
    const broken = { ...taskFlow, transitions: [{ action: 'go', guard: 'problem.severity ==' }] };
    const layer: StudioLayer = { documents: [after, broken], grants: {} };
    const result = rewriteFieldReferences(
      layer,
      [{ entity: 'problem', from: 'severity', to: 'level' }],
      layerFieldLookup(layer, noEntities),
    );
    expect(result.layer.documents[1]).toBe(broken);
    expect(result.rewritten.map((r) => r.document)).toEqual(['studio/entity/problem']);
  });
});

describe('saved list views after a rename', () => {
  const renames = [
    { entity: 'problem', from: 'due_date', to: 'target_date' },
    { entity: 'problem', from: 'severity', to: 'level' },
  ];

  it('renames columns, the sort (field or API name, descending or not) and filter keys with their operators', () => {
    expect(
      rewriteViewDefinition(
        {
          search: 'severity',
          filters: { severity: ['HIGH'], 'dueDate[gte]': '2026-01-01', title: 'severity' },
          sort: '-dueDate',
          columns: ['title', 'severity', 'due_date'],
          pageSize: 50,
        },
        renames,
      ),
    ).toEqual({
      search: 'severity',
      filters: { level: ['HIGH'], 'targetDate[gte]': '2026-01-01', title: 'severity' },
      sort: '-targetDate',
      columns: ['title', 'level', 'target_date'],
      pageSize: 50,
    });
    expect(rewriteViewDefinition({ sort: 'severity' }, renames)).toEqual({ sort: 'level' });
  });

  it('answers null for a view naming none of the renamed fields', () => {
    expect(
      rewriteViewDefinition({ filters: { title: 'x' }, sort: '-severity_note', columns: ['title'] }, renames),
    ).toBeNull();
    expect(rewriteViewDefinition('not a view', renames)).toBeNull();
  });
});
