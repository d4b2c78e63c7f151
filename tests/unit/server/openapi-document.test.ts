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

const lot: EntityDef = {
  entity: 'trace_lot',
  label: label('Trace lot'),
  module: 'trace',
  display: 'lotNo',
  businessKey: 'lotNo',
  fields: { lotNo: { type: 'string', label: label('Lot number'), required: true, unique: true } },
};

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument(model([event, line, lot]), [
    { plugin: 'gadgets', method: 'POST', path: '/gadgets/:name', status: 201 },
  ]) as {
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

  it('prints every entity as a PDF report, and as a label only one with a business key to print', () => {
    type Operation = {
      parameters: { name?: string; schema?: { enum?: string[] } }[];
      responses: Record<string, { content?: Record<string, unknown>; $ref?: string }>;
    };
    const report = doc.paths['/api/trace-events/{id}/report.pdf'].get as Operation;
    expect(Object.keys(report.responses['200'].content!)).toEqual(['application/pdf']);
    expect(report.responses['404']).toEqual({ $ref: '#/components/responses/Error404' });
    expect(doc.paths['/api/trace-events/{id}/label']).toBeUndefined();
    const printed = doc.paths['/api/trace-lots/{id}/label'].get as Operation;
    expect(Object.keys(printed.responses['200'].content!)).toEqual(['image/png']);
    expect(printed.parameters.find((p) => p.name === 'symbology')?.schema?.enum).toEqual([
      'qr',
      'code128',
      'datamatrix',
    ]);
    expect(Object.keys(printed.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404']));
  });

  it("documents a plugin's route with the envelope around its answer and the errors a plugin gives", () => {
    const route = doc.paths['/api/plugins/gadgets/gadgets/{name}'].post as {
      responses: Record<string, unknown>;
    };
    expect(route.responses['201']).toMatchObject({
      content: {
        'application/json': { schema: { required: ['code', 'message', 'data', 'timestamp', 'traceId'] } },
      },
    });
    expect(Object.keys(route.responses).sort()).toEqual(
      ['201', '400', '401', '403', '404', '409', '422', '429', '502', '504'].sort(),
    );
  });

  it('names the document after the Model version and hash', () => {
    expect(doc.info.version).toMatch(/^model-3-[0-9a-f]{16}$/);
    expect(schemaName('work_order')).toBe('WorkOrder');
  });
});
