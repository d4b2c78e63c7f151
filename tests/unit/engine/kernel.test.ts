import { entityApiSchema } from '../../../metadata/src/model/api-schema';
import { ModelRegistry } from '../../../platform/src/kernel/model-registry';
import { runtimeOf } from '../../../platform/src/kernel/model-runtime';
import { engineModel } from '../../fixtures/engine/plant-metadata';

describe('ModelRegistry', () => {
  it('swaps to newer models only, and tells subscribers', () => {
    const registry = new ModelRegistry(engineModel(1));
    const held = registry.current();
    const seen: [number, number][] = [];
    const unsubscribe = registry.subscribe((next, previous) => seen.push([previous.version, next.version]));
    expect(registry.nextVersion()).toBe(2);
    registry.swap(engineModel(2));
    expect(registry.current().version).toBe(2);
    expect(held.version).toBe(1);
    expect(() => registry.swap(engineModel(2))).toThrow(/not newer/);
    unsubscribe();
    registry.swap(engineModel(3));
    expect(seen).toEqual([[1, 2]]);
  });
});

describe('model runtime', () => {
  it('is cached per Model and rebuilt for a new one', () => {
    const v1 = engineModel(1);
    const v2 = engineModel(2);
    expect(runtimeOf(v1)).toBe(runtimeOf(v1));
    expect(runtimeOf(v1).entity('work_order')).toBe(runtimeOf(v1).entity('work_order'));
    expect(runtimeOf(v2).entity('work_order')).not.toBe(runtimeOf(v1).entity('work_order'));
    expect(() => runtimeOf(v1).entity('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('validates create and patch payloads from the API schema', () => {
    const rt = runtimeOf(engineModel()).entity('work_order');
    expect(
      rt.validateCreate({ itemId: 1, lineId: 2, quantity: 1, plannedStart: '2026-01-01T00:00:00Z' }),
    ).toEqual([]);
    expect(rt.validatePatch({ version: 3, status: 'RELEASED' })).toEqual([]);
    expect(rt.validatePatch({ status: 'RELEASED' })).toEqual([
      expect.objectContaining({ field: 'version', path: '/version', rule: 'required' }),
    ]);
    expect(
      rt.validateCreate({ itemId: '1', lineId: 2, quantity: 1, plannedStart: '2026-01-01T00:00:00Z', id: 5 }),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'itemId', rule: 'type', limit: 'integer' }),
        expect.objectContaining({ field: 'id', rule: 'readonly' }),
      ]),
    );
  });
});

describe('entityApiSchema', () => {
  const model = engineModel();

  it('describes create payloads in API names with required fields and limits', () => {
    const schema = entityApiSchema(model, 'work_order', 'create');
    expect(schema.required).toEqual(['itemId', 'lineId', 'quantity', 'plannedStart']);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    expect(properties.quantity).toMatchObject({ type: 'number', exclusiveMinimum: 0 });
    expect(properties.status).toMatchObject({
      enum: ['DRAFT', 'RELEASED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED', null],
      default: 'DRAFT',
    });
    expect(properties.tagsIds).toMatchObject({ type: 'array', uniqueItems: true });
    expect(properties).not.toHaveProperty('woNo');
    expect(schema.additionalProperties).toBe(false);
  });

  it('nests children without their back reference and exposes extension fields', () => {
    const inspection = entityApiSchema(model, 'inspection', 'create');
    const results = (inspection.properties as Record<string, Record<string, unknown>>).results;
    const items = results.items as Record<string, unknown>;
    expect(Object.keys(items.properties as object)).toEqual(['id', 'seq', 'characteristic', 'value']);
    expect(items.required).toEqual(['seq', 'characteristic']);
    const item = entityApiSchema(model, 'item_master', 'response');
    expect(Object.keys(item.properties as object)).toEqual(
      expect.arrayContaining(['id', 'version', 'color', 'shelfLife', 'itemType', 'itemTypeId']),
    );
  });
});
