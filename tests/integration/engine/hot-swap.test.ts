import type { EntityDef } from '../../../metadata/src/types';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { createRequestContext } from '../../../platform/src/crud/request-context';
import { ModelRegistry } from '../../../platform/src/kernel/model-registry';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { ENGINE_ENTITIES, ENGINE_EXTENSIONS, engineModel } from '../../fixtures/engine/plant-metadata';
import { waitFor } from '../../support/wait-for';

const label = (en: string) => ({ en, zh: en });

/** Version 2 of the metadata: a new entity, and a relation plus a plain field on item_master. */
function entitiesV2(): EntityDef[] {
  const supplier: EntityDef = {
    entity: 'supplier',
    label: label('Supplier'),
    module: 'test',
    display: 'name',
    businessKey: 'supplier_code',
    fields: {
      supplier_code: { type: 'string', label: label('Code'), length: 16, required: true, unique: true },
      name: { type: 'string', label: label('Name'), length: 64, required: true },
    },
  };
  return ENGINE_ENTITIES.map((def): EntityDef =>
    def.entity === 'item_master'
      ? {
          ...def,
          fields: {
            ...def.fields,
            supplier: { type: 'relation', label: label('Supplier'), to: 'supplier' },
            origin_country: { type: 'string', label: label('Origin'), length: 2 },
          },
        }
      : def,
  ).concat(supplier);
}

describe.each(ENGINE_DIALECTS)('model hot swap on %s', (dialect) => {
  let database: EngineTestDatabase;
  let registry: ModelRegistry;
  let service: EntityService;
  let itemTypeId: number;

  beforeAll(async () => {
    registry = new ModelRegistry(engineModel(1));
    database = await openEngineDatabase(dialect, 'swap', registry.current());
    service = new EntityService(database.db);
    const ctx = createRequestContext(registry, { tenantId: 'T1' });
    itemTypeId = (await service.create('item_type', { code: 'RAW', name: 'Raw' }, ctx)).id as number;
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('adds an entity and a field at runtime under load, with no failed request', async () => {
    const swaps: number[] = [];
    registry.subscribe((next, previous) => swaps.push(previous.version, next.version));
    const failures: unknown[] = [];
    let completed = 0;
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        // SQLite work is all microtasks: yield like a server between requests, so timers still run.
        await new Promise((resolve) => setImmediate(resolve));
        const ctx = createRequestContext(registry, { tenantId: 'T1', userId: `worker-${n}` });
        try {
          const created = await service.create('item_master', { name: `load-${n}-${i}`, itemTypeId }, ctx);
          await service.get('item_master', created.id as number, ctx);
          await service.list(
            'item_master',
            service.parseListQuery('item_master', { pageSize: '5' }, ctx.model),
            ctx,
          );
          completed += 1;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    const waitForProgress = (target: number) =>
      waitFor(`${target} completed requests`, () => completed >= target || failures.length > 0);
    await waitForProgress(20);

    const inFlight = createRequestContext(registry, { tenantId: 'T1' });
    const v1 = registry.current();
    const v2 = engineModel(registry.nextVersion(), entitiesV2(), ENGINE_EXTENSIONS);
    const changes = await database.evolve(v1, v2);
    expect(changes.map((c) => c.kind)).toEqual(expect.arrayContaining(['createTable', 'addColumn']));
    registry.swap(v2);
    const afterSwap = completed;
    await waitForProgress(afterSwap + 20);
    running = false;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(swaps).toEqual([1, 2]);
    expect(() => registry.swap(v2)).toThrow(/not newer/);

    const ctx = createRequestContext(registry, { tenantId: 'T1' });
    expect(ctx.model.version).toBe(2);
    const supplier = await service.create('supplier', { supplierCode: 'S-001', name: 'Acme' }, ctx);
    const item = await service.create(
      'item_master',
      { name: 'Imported', itemTypeId, supplierId: supplier.id, originCountry: 'DE' },
      ctx,
    );
    expect(item).toMatchObject({ supplierId: supplier.id, originCountry: 'DE' });
    const page = await service.list(
      'item_master',
      service.parseListQuery(
        'item_master',
        { filter: { 'supplier.supplierCode': 'S-001' }, expand: 'supplier' },
        ctx.model,
      ),
      ctx,
    );
    expect(page.items).toEqual([
      expect.objectContaining({ name: 'Imported', supplier: expect.objectContaining({ name: 'Acme' }) }),
    ]);

    // A request that started before the swap finishes on the Model it started with.
    expect(inFlight.model.version).toBe(1);
    const old = await service.get('item_master', item.id as number, inFlight);
    expect(old).not.toHaveProperty('originCountry');
    expect(() => service.parseListQuery('supplier', {}, inFlight.model)).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
