import { compileModel } from '../../../metadata/src/model';
import type { EntityDef, MetadataSet } from '../../../metadata/src/types';
import { buildOpenApiDocument, schemaName } from '../../../platform/src/openapi/openapi-document';

const label = (en: string) => ({ en, zh: en });

function model(entities: EntityDef[]) {
  const set: MetadataSet = {
    modules: new Map([['trace', { module: 'trace', label: label('Trace') }]]),
    entities: new Map(entities.map((e) => [e.entity, e])),
    forms: new Map(),
    workflows: new Map(),
    dashboards: new Map(),
    rules: new Map(),
    roles: new Map(),
    permissions: new Map(),
    menus: new Map(),
    plugins: new Map(),
    sources: new Map(),
  };
  return compileModel(set, { version: 3 });
}

const event: EntityDef = {
  entity: 'trace_event',
  label: label('Trace event'),
  module: 'trace',
  display: 'code',
  appendOnly: true,
  fields: {
    code: { type: 'string', label: label('Code'), required: true },
    lines: { type: 'children', to: 'trace_line', foreignKey: 'event', label: label('Lines') },
  },
};
const line: EntityDef = {
  entity: 'trace_line',
  label: label('Trace line'),
  module: 'trace',
  display: 'qty',
  owned: true,
  fields: {
    event: { type: 'relation', to: 'trace_event', required: true, label: label('Event') },
    qty: { type: 'integer', label: label('Qty') },
  },
};

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument(model([event, line])) as {
    info: { version: string };
    paths: Record<string, Record<string, unknown>>;
  };

  it('offers no update, delete or restore for append-only entities', () => {
    expect(Object.keys(doc.paths['/api/trace-events/{id}'])).toEqual(['get']);
    expect(doc.paths['/api/trace-events/{id}/restore']).toBeUndefined();
    expect(doc.paths['/api/trace-events'].post).toBeDefined();
  });

  it('exposes owned child entities only inside their parent', () => {
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/trace-lines'))).toBe(false);
  });

  it('names the document after the Model version and hash', () => {
    expect(doc.info.version).toMatch(/^model-3-[0-9a-f]{16}$/);
    expect(schemaName('work_order')).toBe('WorkOrder');
  });
});
