/**
 * Renaming fields of a published studio entity over HTTP, on SQLite and MariaDB: the analyst's change
 * set holds only the entity with two fields renamed (`renamedFrom`); the preview lists every
 * reference the publish rewrites in the published workflow (guard, inputs, readonlyWhen, set,
 * separation of duties), form (placement and conditions), list, rule and dashboard; the reviewer
 * publishes it; the data stays in the renamed columns and the workflow still runs with the new names.
 */
import { startSecurityServer, type Dialect, type SecurityServer } from '../security/security-server';
import { dataOf, studioClient } from './studio-client';
import { TEST_DIALECTS } from '../../support/test-dialects';

interface SavedView {
  id: number;
  version: number;
  definition: { search: string; filters: Record<string, unknown>; sort: string | null; columns: string[] };
}

/** The list request the list view sends for a saved view (enum filters as `in`, text as `contains`). */
const listUrl = (definition: SavedView['definition']): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(definition.filters))
    if (Array.isArray(value)) params.set(`filter[${name}][in]`, value.join(','));
    else params.set(`filter[${name}][contains]`, String(value));
  if (definition.sort) params.set('sort', definition.sort);
  return `/api/defect-reports?${params.toString()}`;
};

interface Reference {
  document: string;
  path: string;
  from: string;
  to: string;
}

const label = (en: string) => ({ en, zh: en });

const fields = {
  title: { type: 'string', length: 120, required: true, label: label('Title') },
  severity: {
    type: 'enum',
    values: ['LOW', 'HIGH', 'CRITICAL'],
    default: 'LOW',
    required: true,
    label: label('Severity'),
  },
  remark: { type: 'string', length: 200, label: label('Remark') },
  locked: { type: 'boolean', default: false, label: label('Locked') },
  status: { type: 'enum', values: ['OPEN', 'CHECKED', 'CLOSED'], default: 'OPEN', label: label('Status') },
};

const entity = (own: Record<string, unknown>) => ({
  entity: 'defect_report',
  label: label('Defect report'),
  module: 'quality',
  database: 'core',
  display: 'title',
  fields: own,
  list: {
    columns: ['title', 'severity', 'remark', 'status'],
    defaultSort: '-severity',
    filters: ['severity', 'status'],
    search: ['title', 'remark'],
  },
  form: 'defect_report',
  workflow: 'defect_report_flow',
});

const form = {
  form: 'defect_report',
  entity: 'defect_report',
  sections: [
    {
      title: label('Defect'),
      fields: [
        'title',
        { field: 'severity', readonlyWhen: 'locked == true' },
        { field: 'remark', visibleWhen: "severity != 'LOW'", requiredWhen: "severity  ==  'CRITICAL'" },
        'locked',
        'status',
      ],
    },
  ],
};

const workflow = {
  workflow: 'defect_report_flow',
  entity: 'defect_report',
  field: 'status',
  version: 1,
  label: label('Defect report flow'),
  initial: 'OPEN',
  states: {
    OPEN: { label: label('Open') },
    CHECKED: { label: label('Checked'), editable: ['remark', 'locked'] },
    CLOSED: { label: label('Closed'), final: true },
  },
  transitions: [
    {
      action: 'check',
      label: label('Check'),
      from: ['OPEN'],
      to: 'CHECKED',
      roles: ['operator'],
      guard: "severity != 'LOW' and title != 'severity'",
      requiredFields: ['remark'],
      readonlyWhen: { remark: "severity == 'CRITICAL' and locked == true" },
      set: { locked: true },
    },
    {
      action: 'close',
      label: label('Close'),
      from: ['CHECKED'],
      to: 'CLOSED',
      roles: ['quality_inspector'],
      set: { severity: 'LOW' },
      separationOfDuties: { editors: true, fields: ['remark'] },
    },
  ],
};

const rule = {
  rule: 'defect_critical_locks',
  label: label('Critical defects are locked'),
  module: 'quality',
  entity: 'defect_report',
  trigger: { on: 'updated', fields: ['severity'] },
  when: "severity == 'CRITICAL' and remark != null",
  actions: [{ set: { locked: true } }],
};

const dashboard = {
  dashboard: 'defect_reports',
  label: label('Defect reports'),
  module: 'quality',
  widgets: [
    {
      id: 'by_severity',
      type: 'bar',
      title: label('By severity'),
      entity: 'defect_report',
      groupBy: 'severity',
      filter: 'remark != null',
    },
  ],
};

describe.each<Dialect>(TEST_DIALECTS)('renaming studio fields on %s', (dialect) => {
  let mes: SecurityServer;
  const { draft, submit, publish } = studioClient(() => mes);

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'studio-renames');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('rewrites every reference to the renamed fields in the same publish, keeps the data, and the workflow runs', async () => {
    const first = await submit(
      await draft('Defect reports', {
        documents: [entity(fields), form, workflow, rule, dashboard],
        grants: {
          operator: [
            'defect_report:read',
            'defect_report:create',
            'defect_report:update',
            'defect_report:check',
          ],
          quality_inspector: ['defect_report:*'],
        },
      }),
    );
    expect((await publish(first)).statusCode).toBe(200);
    const report = dataOf<{ id: number; version: number }>(
      await mes.call('operator', 'POST', '/api/defect-reports', {
        title: 'Burr on the flange',
        severity: 'HIGH',
        remark: 'seen on line 2',
      }),
    );
    // The operator keeps a list view naming the fields in its columns, sort and filters, and one of
    // another entity with a field of the same name.
    const saveView = async (entityName: string, definition: SavedView['definition']) =>
      dataOf<SavedView>(
        await mes.call('operator', 'POST', '/api/saved-views', {
          entityName,
          viewName: 'High defects',
          definition: { ...definition, pageSize: 20 },
        }),
      );
    const view = await saveView('defect_report', {
      search: '',
      filters: { severity: ['HIGH', 'CRITICAL'], remark: 'line 2', status: ['OPEN'] },
      sort: '-severity',
      columns: ['title', 'severity', 'remark', 'status'],
    });
    const qmsView = await saveView('qms_code', {
      search: '',
      filters: { severity: ['MAJOR'] },
      sort: '-severity',
      columns: ['severity'],
    });
    const rowsBefore = dataOf<{ items: { id: number }[] }>(
      await mes.call('operator', 'GET', listUrl(view.definition)),
    );
    expect(rowsBefore.items.map((r) => r.id)).toEqual([report.id]);

    // The analyst renames severity → level and remark → finding, sending the entity only.
    const { severity, remark, ...rest } = fields;
    const renamed = entity({
      ...rest,
      level: { ...severity, renamedFrom: 'severity' },
      finding: { ...remark, renamedFrom: 'remark' },
    });
    const rename = await draft('Severity becomes level, remark becomes finding', { documents: [renamed] });
    const preview = dataOf<{
      valid: boolean;
      errors: unknown[];
      diff: { references: Reference[]; schema: { kind: string; name?: string }[] };
    }>(await mes.call('analyst', 'GET', `/api/studio/change-sets/${rename.id}/preview`));
    expect(preview.errors).toEqual([]);
    expect(preview.valid).toBe(true);
    expect(preview.diff.schema).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'renameColumn', name: 'severity → level' }),
        expect.objectContaining({ kind: 'renameColumn', name: 'remark → finding' }),
      ]),
    );
    const references = preview.diff.references;
    expect(references).toEqual(
      expect.arrayContaining([
        {
          document: 'studio/workflow/defect_report_flow',
          path: '/transitions/0/guard',
          from: "severity != 'LOW' and title != 'severity'",
          to: "level != 'LOW' and title != 'severity'",
        },
        expect.objectContaining({
          document: 'studio/workflow/defect_report_flow',
          path: '/transitions/0/requiredFields/0',
          to: 'finding',
        }),
        expect.objectContaining({
          path: '/transitions/0/readonlyWhen/remark',
          to: "level == 'CRITICAL' and locked == true",
        }),
        expect.objectContaining({
          path: '/transitions/0/readonlyWhen/remark',
          from: 'remark',
          to: 'finding',
        }),
        expect.objectContaining({ path: '/transitions/1/set/severity', to: 'level' }),
        expect.objectContaining({ path: '/transitions/1/separationOfDuties/fields/0', to: 'finding' }),
        expect.objectContaining({ path: '/states/CHECKED/editable/0', to: 'finding' }),
        {
          document: 'studio/form/defect_report',
          path: '/sections/0/fields/2/requiredWhen',
          from: "severity  ==  'CRITICAL'",
          to: "level  ==  'CRITICAL'",
        },
        expect.objectContaining({
          document: 'studio/form/defect_report',
          path: '/sections/0/fields/1/field',
        }),
        expect.objectContaining({
          document: 'studio/entity/defect_report',
          path: '/list/defaultSort',
          to: '-level',
        }),
        expect.objectContaining({
          document: 'studio/entity/defect_report',
          path: '/list/search/1',
          to: 'finding',
        }),
        expect.objectContaining({ document: 'studio/rule/defect_critical_locks', path: '/trigger/fields/0' }),
        {
          document: 'studio/rule/defect_critical_locks',
          path: '/when',
          from: "severity == 'CRITICAL' and remark != null",
          to: "level == 'CRITICAL' and finding != null",
        },
        expect.objectContaining({
          document: 'studio/dashboard/defect_reports',
          path: '/widgets/0/groupBy',
          to: 'level',
        }),
        expect.objectContaining({
          document: 'studio/dashboard/defect_reports',
          path: '/widgets/0/filter',
          to: 'finding != null',
        }),
      ]),
    );
    // A string literal spelled like a field stays as written.
    expect(references.some((r) => r.to.includes("title != 'level'"))).toBe(false);

    const published = dataOf<{ version: number; diff: { references: Reference[]; savedViews?: number } }>(
      await publish(await submit(rename)),
    );
    expect(published.diff.references).toEqual(references);
    expect(published.diff.savedViews).toBe(1);

    // The operator's view names the new fields; the list it asks for answers with the same rows.
    const rewrittenView = dataOf<SavedView>(await mes.call('operator', 'GET', `/api/saved-views/${view.id}`));
    expect(rewrittenView.definition).toEqual({
      search: '',
      filters: { level: ['HIGH', 'CRITICAL'], finding: 'line 2', status: ['OPEN'] },
      sort: '-level',
      columns: ['title', 'level', 'finding', 'status'],
      pageSize: 20,
    });
    const rowsAfter = await mes.call('operator', 'GET', listUrl(rewrittenView.definition));
    expect(rowsAfter.statusCode).toBe(200);
    expect(dataOf<{ items: { id: number }[] }>(rowsAfter).items.map((r) => r.id)).toEqual([report.id]);
    // The view of another entity with a field of the same name is left as it was.
    expect(
      dataOf<SavedView>(await mes.call('operator', 'GET', `/api/saved-views/${qmsView.id}`)),
    ).toMatchObject({
      version: qmsView.version,
      definition: qmsView.definition,
    });
    const history = dataOf<{ version: number; diff: { references?: Reference[] } }[]>(
      await mes.call('analyst', 'GET', '/api/studio/versions'),
    );
    expect(history[0]).toMatchObject({ version: published.version, diff: { references } });
    const layer = dataOf<{ layer: { documents: Record<string, unknown>[] } }>(
      await mes.call('analyst', 'GET', '/api/studio/published'),
    ).layer;
    const served = JSON.stringify(layer.documents.filter((d) => d.entity === 'defect_report' || d.dashboard));
    // Only the fields' renamedFrom still name the old fields.
    expect(served.replace(/"renamedFrom":"\w+"/g, '')).not.toMatch(
      /"severity"|"remark"|severity ==|remark !=/,
    );

    // Data kept in the renamed columns; the form, the list and the workflow use the new names.
    const read = dataOf<Record<string, unknown>>(
      await mes.call('operator', 'GET', `/api/defect-reports/${report.id}`),
    );
    expect(read).toMatchObject({ level: 'HIGH', finding: 'seen on line 2', status: 'OPEN' });
    expect(read).not.toHaveProperty('severity');
    const formBody = JSON.stringify(dataOf(await mes.call('operator', 'GET', '/api/ui/forms/defect_report')));
    expect(formBody).toContain('"name":"level"');
    expect(formBody).not.toContain('"name":"severity"');
    const listed = dataOf<{ total: number }>(
      await mes.call('operator', 'GET', '/api/defect-reports?filter[level][eq]=HIGH&sort=-level'),
    );
    expect(listed.total).toBe(1);

    const checked = await mes.call('operator', 'POST', `/api/defect-reports/${report.id}/actions/check`, {
      version: Number(read.version),
      fields: { finding: 'burr removed, cause found' },
    });
    expect(checked.statusCode).toBe(201);
    expect(checked.json().data.record).toMatchObject({
      status: 'CHECKED',
      locked: true,
      finding: 'burr removed, cause found',
    });
    // The input list follows the rename: the old name is no input of the action any more.
    const other = dataOf<{ id: number; version: number }>(
      await mes.call('operator', 'POST', '/api/defect-reports', { title: 'Scratch', level: 'HIGH' }),
    );
    const oldName = await mes.call('operator', 'POST', `/api/defect-reports/${other.id}/actions/check`, {
      version: other.version,
      fields: { remark: 'old name' },
    });
    expect(oldName.statusCode).toBe(400);
    expect(oldName.body).toContain('remark');
  });
});
