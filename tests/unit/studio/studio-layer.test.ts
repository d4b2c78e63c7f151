import { resolve } from 'node:path';
import { diffSnapshots } from '../../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot } from '../../../metadata/src/model/snapshot';
import { apiDiff, documentDiff, retainingSnapshot, schemaSteps } from '../../../metadata/src/studio/diff';
import { emptyLayer, mergeLayer, STUDIO_ORIGIN, type StudioLayer } from '../../../metadata/src/studio/layer';
import { formDocument } from '../../../metadata/src/forms/form-document';
import { MetadataRejectedError, ModelComposer } from '../../../platform/src/plugins/model-composer';
import {
  ENGINEERING_PROBLEM,
  ENGINEERING_PROBLEM_FORM,
  engineeringProblemContent,
} from '../../support/engineering-problem';

const ROOT = resolve(__dirname, '../../..');
const composer = new ModelComposer();
const compose = (studio: StudioLayer, version = 2) =>
  composer.compose({ roots: [ROOT], plugins: new Map(), studio }, version);
const layerOf = (content: Record<string, unknown>) => content as unknown as StudioLayer;
const rejection = (studio: StudioLayer) => {
  try {
    compose(studio);
  } catch (error) {
    if (error instanceof MetadataRejectedError) return error.diagnostics;
    throw error;
  }
  throw new Error('the layer composed');
};

describe('studio layer composition', () => {
  const core = compose(emptyLayer(), 1);
  const layer = layerOf(engineeringProblemContent());
  const model = compose(layer);

  it('composes studio documents after core: entity, workflow, menu, and grants added to core roles', () => {
    const entity = model.entities.get('engineering_problem');
    expect(entity?.origin).toBe(STUDIO_ORIGIN);
    expect(entity?.identifier?.pattern).toBe('EP-{YYYYMMDD}-{seq:3}');
    expect(model.workflows.get('engineering_problem_lifecycle')?.initial).toBe('OPEN');
    expect(model.menus.get('engineering')?.items[0].entity).toBe('engineering_problem');
    expect(model.roles.get('operator')?.permissions).toEqual(
      expect.arrayContaining(['engineering_problem:create', 'work_order:read']),
    );
    expect(core.roles.get('operator')?.permissions).not.toContain('engineering_problem:create');
  });

  it('diffs the schema (one new table, nothing destructive) and the API', () => {
    const steps = schemaSteps(diffSnapshots(emptySnapshot(), toSnapshot(model, { origin: STUDIO_ORIGIN })));
    expect(steps.filter((s) => s.kind === 'createTable').map((s) => s.table)).toEqual([
      'engineering_problem',
    ]);
    expect(steps.some((s) => s.destructive)).toBe(false);
    expect(apiDiff(core, model).added).toEqual(['/api/engineering-problems']);
    expect(documentDiff(emptyLayer(), layer).added).toEqual(
      expect.arrayContaining([
        'entity:engineering_problem',
        'workflow:engineering_problem_lifecycle',
        'grant:operator',
      ]),
    );
  });

  it('merges a later change set over the published layer by kind and name, grants added', () => {
    const renamed = { ...ENGINEERING_PROBLEM, label: { en: 'Eng. problem', zh: '工程问题' } };
    const merged = mergeLayer(layer, {
      documents: [renamed],
      grants: { operator: ['engineering_problem:update'] },
    });
    expect(merged.documents).toHaveLength(layer.documents.length);
    expect(merged.documents.find((d) => d.entity === 'engineering_problem')).toBe(renamed);
    expect(merged.grants.operator).toEqual(
      expect.arrayContaining(['engineering_problem:create', 'engineering_problem:update']),
    );
    expect(documentDiff(layer, merged).changed).toEqual(['entity:engineering_problem', 'grant:operator']);
  });

  it('keeps tables and columns a rollback drops from the Model, made nullable', () => {
    const published = toSnapshot(model, { origin: STUDIO_ORIGIN });
    const withoutDue = compose(
      mergeLayer(layer, {
        documents: [
          {
            ...ENGINEERING_PROBLEM,
            fields: Object.fromEntries(
              Object.entries(ENGINEERING_PROBLEM.fields).filter(([n]) => n !== 'due_date'),
            ),
            list: { ...ENGINEERING_PROBLEM.list, columns: ['ep_no', 'title'], filters: ['severity'] },
          },
          { ...ENGINEERING_PROBLEM_FORM, sections: [{ fields: ['ep_no', 'title', 'severity', 'status'] }] },
        ],
        grants: {},
      }),
    );
    const kept = retainingSnapshot(published, toSnapshot(withoutDue, { origin: STUDIO_ORIGIN }));
    const steps = schemaSteps(diffSnapshots(published, kept));
    expect(steps.some((s) => s.destructive)).toBe(false);
    expect(kept.tables.engineering_problem.columns.find((c) => c.name === 'due_date')?.nullable).toBe(true);
    const rolledBack = retainingSnapshot(published, emptySnapshot());
    expect(Object.keys(rolledBack.tables)).toEqual(Object.keys(published.tables));
    expect(() => diffSnapshots(published, rolledBack)).not.toThrow();
  });

  it('refuses names that clash with system columns or core entities, naming the rule and element', () => {
    const clash = rejection(
      layerOf({
        documents: [
          {
            ...ENGINEERING_PROBLEM,
            fields: {
              ...ENGINEERING_PROBLEM.fields,
              version: { type: 'integer', label: { en: 'Version', zh: '版本' } },
            },
          },
          { ...ENGINEERING_PROBLEM, entity: 'work_order', form: undefined, workflow: undefined },
        ],
        grants: {},
      }),
    );
    expect(clash).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'studio/entity/engineering_problem',
          path: '/fields/version',
          rule: 'system-column',
        }),
        expect.objectContaining({ file: 'studio/entity/work_order', rule: 'duplicate-name' }),
      ]),
    );
  });

  it("layers a tenant's extension fields and overlay on a core form, leaving other tenants' out", () => {
    const extended = composer.compose(
      {
        roots: [ROOT],
        plugins: new Map(),
        extensionFields: [
          {
            entity: 'inspection',
            name: 'line_stop',
            def: { type: 'boolean', label: { en: 'Line stopped', zh: '停线' } },
            tenants: ['DEMO'],
          },
        ],
      },
      3,
    );
    const inspection = extended.entities.get('inspection')!;
    const names = (schema: unknown) => JSON.stringify(schema).match(/"name":"[a-zA-Z]+"/g) ?? [];
    const own = formDocument(extended, inspection, {
      tenantId: 'DEMO',
      overlay: { fields: { line_stop: { section: 0, label: { en: 'Line stop', zh: '停线' } } } },
    });
    expect(names(own.schema)).toContain('"name":"lineStop"');
    expect(JSON.stringify(own.schema)).toContain('"en":"Line stop"');
    const other = formDocument(extended, inspection, { tenantId: 'OTHER' });
    expect(names(other.schema)).not.toContain('"name":"lineStop"');
    expect(formDocument(extended, inspection).schema).toEqual(other.schema);
  });
});

describe('composing a layer another instance validated', () => {
  // An entity whose display field does not exist: validation refuses it, compiling alone does not.
  const broken = { ...ENGINEERING_PROBLEM, form: undefined, workflow: undefined, display: 'no_such_field' };
  const brokenLayer: StudioLayer = { documents: [broken], grants: {} };

  it('serves the Model without validating when it compiles to the hash the publisher recorded', () => {
    const trusting = new ModelComposer();
    const valid = compose(layerOf(engineeringProblemContent()));
    const before = trusting.trustedCount;
    const model = trusting.compose(
      {
        roots: [ROOT],
        plugins: new Map(),
        studio: layerOf(engineeringProblemContent()),
        validatedHash: valid.hash,
      },
      3,
    );
    expect(model.hash).toBe(valid.hash);
    expect(trusting.trustedCount).toBe(before + 1);
  });

  it('validates as usual when the hash differs, so a layer nobody validated is refused', () => {
    const trusting = new ModelComposer();
    expect(() =>
      trusting.compose(
        { roots: [ROOT], plugins: new Map(), studio: brokenLayer, validatedHash: 'not-this-hash' },
        3,
      ),
    ).toThrow(MetadataRejectedError);
    expect(trusting.trustedCount).toBe(0);
  });
});
