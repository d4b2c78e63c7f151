import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

/**
 * A create or update answers with the record built from the row it wrote (returned by the insert,
 * or the row read before an update with the written values applied) instead of reading it again.
 * That record must be exactly what a read returns, whatever the database does to the values.
 */
describe.each(ENGINE_DIALECTS)('the record a write returns on %s', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let service: EntityService;
  let ctx: RequestContext;
  const ids: Record<string, number> = {};

  /** Writes, then checks the answer against a fresh read of the same record. */
  async function expectAsRead(written: Promise<EntityRecord>, entity: string): Promise<EntityRecord> {
    const record = await written;
    expect(record).toEqual(await service.get(entity, record.id as number, ctx));
    return record;
  }

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase(dialect, 'write_result', model);
    service = new EntityService(database.db);
    ctx = { tenantId: 'T1', userId: 'alice', traceId: 'trace-w', model };
    ids.raw = (await service.create('item_type', { code: 'RAW', name: 'Raw' }, ctx)).id as number;
    ids.line = (await service.create('production_line', { lineCode: 'L7', name: 'Line 7' }, ctx))
      .id as number;
    const tags = await service.bulk(
      'tag',
      { mode: 'create', rows: [{ name: 'hot' }, { name: 'cold' }] },
      ctx,
    );
    [ids.hot, ids.cold] = tags.ids;
  });

  afterAll(() => database.drop());

  it('creates and updates plain columns, decimals, booleans, defaults and extension fields', async () => {
    const item = await expectAsRead(
      service.create(
        'item_master',
        { name: 'Bracket  ', itemTypeId: ids.raw, unitCost: 12.5, color: 'grün', shelfLife: 30 },
        ctx,
      ),
      'item_master',
    );
    expect(item).toMatchObject({ name: 'Bracket  ', unitCost: 12.5, active: true, color: 'grün' });
    const updated = await expectAsRead(
      service.update(
        'item_master',
        item.id as number,
        { version: item.version, unitCost: 0.1, active: false, shelfLife: 45, color: '红色' },
        ctx,
      ),
      'item_master',
    );
    expect(updated).toMatchObject({ version: 2, unitCost: 0.1, active: false, shelfLife: 45, color: '红色' });
  });

  it('returns what the database stored when it changes a value: decimals beyond the scale, unpaired surrogates', async () => {
    const item = await expectAsRead(
      service.create('item_master', { name: 'Shim \ud800', itemTypeId: ids.raw, unitCost: 1.234567 }, ctx),
      'item_master',
    );
    const updated = await expectAsRead(
      service.update(
        'item_master',
        item.id as number,
        { version: item.version, unitCost: 2.000051, name: 'Shim \udfff' },
        ctx,
      ),
      'item_master',
    );
    expect(updated.name).not.toContain('\udfff');
    if (dialect === 'mysql') expect(updated.unitCost).toBe(2.0001);
  });

  it('creates and updates identifiers, relations, datetimes, dates, enums and many-links', async () => {
    const item = await service.create('item_master', { name: 'Gear', itemTypeId: ids.raw }, ctx);
    const order = await expectAsRead(
      service.create(
        'work_order',
        {
          itemId: item.id,
          lineId: ids.line,
          quantity: 25,
          plannedStart: '2026-12-01T06:30:00.125Z',
          priority: 9,
          dueDate: '2026-12-03',
          tagsIds: [ids.hot, ids.cold],
        },
        ctx,
      ),
      'work_order',
    );
    expect(order).toMatchObject({ woNo: 'WO-L7-0001', status: 'DRAFT', tagsIds: [ids.hot, ids.cold] });
    const changed = await expectAsRead(
      service.update(
        'work_order',
        order.id as number,
        { version: order.version, status: 'RELEASED', plannedStart: '2026-12-02T07:00:00Z', remark: 'rush' },
        ctx,
      ),
      'work_order',
    );
    expect(changed.tags).toEqual(order.tags);
    const relinked = await expectAsRead(
      service.update(
        'work_order',
        order.id as number,
        { version: changed.version, tagsIds: [ids.cold] },
        ctx,
      ),
      'work_order',
    );
    expect(relinked.tagsIds).toEqual([ids.cold]);
  });

  it('creates and updates records with owned children', async () => {
    const inspection = await expectAsRead(
      service.create(
        'inspection',
        {
          results: [
            { seq: 1, characteristic: 'Width', value: 10.02 },
            { seq: 2, characteristic: 'Height', value: 4.98765 },
          ],
        },
        ctx,
      ),
      'inspection',
    );
    expect(inspection.results).toHaveLength(2);
    const untouched = await expectAsRead(
      service.update(
        'inspection',
        inspection.id as number,
        { version: inspection.version, nextCheck: '2099-01-01' },
        ctx,
      ),
      'inspection',
    );
    expect(untouched.results).toEqual(inspection.results);
    const results = untouched.results as EntityRecord[];
    const merged = await expectAsRead(
      service.update(
        'inspection',
        inspection.id as number,
        {
          version: untouched.version,
          results: [{ id: results[0].id, seq: 1, characteristic: 'Width', value: 10.5 }],
        },
        ctx,
      ),
      'inspection',
    );
    expect(merged.results).toHaveLength(1);
    await expectAsRead(service.create('inspection', {}, ctx), 'inspection');
  });

  it('reads nothing back after an insert where the database returns the inserted row', async () => {
    const item = await service.create('item_master', { name: 'Pin', itemTypeId: ids.raw }, ctx);
    database.log.reset();
    await service.create(
      'work_order',
      { itemId: item.id, lineId: ids.line, quantity: 1, plannedStart: '2026-12-01T00:00:00Z' },
      ctx,
    );
    const returning = database.db.dialect.insertReturning;
    const selects = database.log.queries.filter((sql) => /^SELECT/i.test(sql.trim()));
    // The reference check reads the item and the line (with the line code the number is made of);
    // a read-back of the order follows only where the insert cannot return it.
    expect(selects).toHaveLength(returning ? 1 : 2);
    expect(
      database.log.queries.filter((sql) => /^INSERT INTO \W?work_order\W? /i.test(sql.trim())),
    ).toHaveLength(1);
    expect(returning).toBe(true); // SQLite, and MariaDB ≥ 10.5 where the suites run
  });

  it('reads nothing back after an update whose values are stored as sent', async () => {
    const item = await service.create('item_master', { name: 'Nut', itemTypeId: ids.raw, unitCost: 1 }, ctx);
    database.log.reset();
    await service.update('item_master', item.id as number, { version: item.version, unitCost: 1.5 }, ctx);
    // The row read before the write, the update: nothing after it.
    expect(database.log.queries.map((sql) => sql.trim().split(' ')[0].toUpperCase())).toEqual([
      'SELECT',
      'UPDATE',
    ]);
  });
});
