import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { hooks as packingHooks } from '../../../platform/src/domain/traceability/map-box-sn.hooks';
import { registerEntityHooks } from '../../../platform/src/generated/domain-hooks';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { coreModel } from '../../fixtures/security/core-model';

/** Packing serials into boxes: the rules of a box, the serial's box and the SN → BOX genealogy edge. */
describe.each(ENGINE_DIALECTS)('packing serials into boxes (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let entities: EntityService;
  let box: EntityRecord;
  let otherBox: EntityRecord;
  const serials: string[] = [];

  const sql = () => database.db.executor();
  const table = (entity: string) => model.entities.get(entity)!.table;
  const pack = (sn: string, boxNo = box.boxNo, into: EntityRecord = box) =>
    entities.create('map_box_sn', { boxId: into.id, boxNo, sn, packedAt: '2026-11-25T09:00:00Z' }, ctx);
  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      return error as { httpStatus: number; message: string; details?: Record<string, unknown> };
    }
    throw new Error('expected a refusal');
  };
  const footprint = async () => ({
    packed: Number(
      (await sql().query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table('map_box_sn')}`))[0]!.n,
    ),
    edges: Number((await sql().query<{ n: number }>('SELECT COUNT(*) AS n FROM trace_genealogy'))[0]!.n),
    quantity: Number((await entities.get('box', box.id as number, ctx)).quantity),
  });

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'packing', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 'trace-packing', model };
    const hooks = new HookRegistry();
    registerEntityHooks(hooks, 'map_box_sn', packingHooks);
    entities = new EntityService(database.db, hooks);
    const create = async (entity: string, body: EntityRecord) =>
      (await entities.create(entity, body, ctx)).id as number;
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const item = await create('item_master', {
      itemName: 'Counter',
      itemType: 'FINISHED',
      uomId: uom,
      serialized: true,
    });
    const plant = await create('plant', { plantCode: 'P1', plantName: 'Plant 1' });
    const line = await create('production_line', { lineCode: 'A01', lineName: 'Line A', plantId: plant });
    const order = await create('work_order', {
      itemId: item,
      lineId: line,
      plannedQuantity: 3,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    const lot = await create('production_lot', { workOrderId: order, itemId: item, lotQuantity: 3 });
    for (let i = 0; i < 3; i++)
      serials.push(
        String(
          (await entities.create('serial_number', { lotId: lot, itemId: item, workOrderId: order }, ctx)).sn,
        ),
      );
    box = await entities.create('box', { itemId: item, workOrderId: order, capacity: 2 }, ctx);
    otherBox = await entities.create('box', { itemId: item, workOrderId: order, capacity: 2 }, ctx);
  });
  afterAll(() => database?.drop());

  it('packs a serial: the serial points at its box, the box counts it, genealogy SN → BOX', async () => {
    await pack(serials[0]!);
    expect((await entities.getByKey('serial_number', serials[0]!, ctx)).boxId).toBe(box.id);
    expect((await entities.get('box', box.id as number, ctx)).quantity).toBe(1);
    const edges = await sql().query<{ from_key: string; to_key: string; relation: string }>(
      "SELECT from_key, to_key, relation FROM trace_genealogy WHERE relation = 'PACKED'",
    );
    expect(edges).toEqual([
      { from_key: `SN:${serials[0]}`, to_key: `BOX:${String(box.boxNo)}`, relation: 'PACKED' },
    ]);
  });

  it('refuses a wrong box number, an unknown serial and a serial packed twice, writing nothing', async () => {
    const before = await footprint();
    const wrongBox = await refusal(pack(serials[1]!, 'BOX-19990101-999'));
    expect(wrongBox).toMatchObject({
      httpStatus: 422,
      details: { errors: [expect.objectContaining({ field: 'boxNo', rule: 'matches' })] },
    });
    const unknown = await refusal(pack('SN-NOPE'));
    expect(unknown).toMatchObject({
      httpStatus: 422,
      details: { errors: [expect.objectContaining({ field: 'sn', rule: 'exists' })] },
    });
    const sameBox = await refusal(pack(serials[0]!));
    expect(sameBox).toMatchObject({ httpStatus: 409, message: expect.stringContaining(serials[0]!) });
    const otherBoxToo = await refusal(pack(serials[0]!, otherBox.boxNo, otherBox));
    expect(otherBoxToo).toMatchObject({ httpStatus: 422, details: { rule: 'packed-once' } });
    expect(await footprint()).toEqual(before);
  });

  it('refuses a serial when the box is full, and leaves the serial unpacked', async () => {
    await pack(serials[1]!);
    const before = await footprint();
    const full = await refusal(pack(serials[2]!));
    expect(full).toMatchObject({ httpStatus: 422, details: { rule: 'box-open-with-room' } });
    expect(full.message).toContain('is full');
    expect(await footprint()).toEqual(before);
    expect((await entities.getByKey('serial_number', serials[2]!, ctx)).boxId).toBeNull();
  });
});
