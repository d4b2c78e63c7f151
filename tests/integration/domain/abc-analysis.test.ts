import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import { parseAbcRequest, runAbcAnalysis } from '../../../platform/src/domain/inventory/abc-analysis';
import { hooks as stockTransactionHooks } from '../../../platform/src/domain/inventory/stock-transaction.hooks';
import { registerEntityHooks } from '../../../platform/src/generated/domain-hooks';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { coreModel } from '../../fixtures/security/core-model';

describe('ABC analysis request', () => {
  it('defaults the thresholds to 80/95 and normalises the period', () => {
    expect(parseAbcRequest({ from: '2026-11-01', to: '2026-12-01' })).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      aPercent: 80,
      bPercent: 95,
    });
  });

  it.each([
    [[], '', 'type'],
    [{ to: '2026-12-01' }, '/from', 'required'],
    [{ from: 'last month', to: '2026-12-01' }, '/from', 'format'],
    [{ from: '2026-12-01', to: '2026-11-01' }, '/to', 'after'],
    [{ from: '2026-11-01', to: '2026-12-01', aPercent: 150 }, '/aPercent', 'range'],
    [{ from: '2026-11-01', to: '2026-12-01', aPercent: 90, bPercent: 85 }, '/bPercent', 'greaterThan'],
    [{ from: '2026-11-01', to: '2026-12-01', period: 'month' }, '/period', 'unknown'],
  ])('refuses %j with 400 at %s (%s)', (body, path, rule) => {
    expect(() => parseAbcRequest(body)).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        details: { errors: [expect.objectContaining({ path, rule })] },
      }),
    );
  });
});

describe.each(ENGINE_DIALECTS)('ABC analysis by consumption value (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let entities: EntityService;
  const items: Record<string, number> = {};

  const classes = async () => {
    const rows = await database.db
      .executor()
      .query<{ id: number; abc_class: string | null }>(
        `SELECT id, abc_class FROM ${model.entities.get('item_master')!.table} ORDER BY id`,
      );
    const byId = new Map(rows.map((row) => [Number(row.id), row.abc_class]));
    return Object.fromEntries(Object.entries(items).map(([name, id]) => [name, byId.get(id)]));
  };

  beforeAll(async () => {
    model = coreModel();
    database = await openEngineDatabase(dialect, 'abc', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 'trace-abc', model };
    const hooks = new HookRegistry();
    registerEntityHooks(hooks, 'stock_transaction', stockTransactionHooks);
    entities = new EntityService(database.db, hooks);
    const create = async (entity: string, body: EntityRecord) =>
      (await entities.create(entity, body, ctx)).id as number;
    const uom = await create('unit_of_measure', { uomCode: 'PCS', uomName: 'Pieces' });
    const store = await create('location', { locationName: 'Main store', locationType: 'WAREHOUSE' });
    const costs = { chip: 10, screw: 1, label: 0.5, motor: 100, spring: 2 };
    for (const [name, unitCost] of Object.entries(costs)) {
      items[name] = await create('item_master', { itemName: name, itemType: 'RAW', uomId: uom, unitCost });
    }
    const movement = (item: string, transactionType: string, quantity: number, occurredAt: string) =>
      entities.create(
        'stock_transaction',
        {
          itemId: items[item],
          transactionType,
          quantity,
          occurredAt,
          ...(transactionType === 'IN' ? { toLocationId: store } : { fromLocationId: store }),
        },
        ctx,
      );
    for (const item of Object.keys(costs)) await movement(item, 'IN', 1000, '2026-10-01T00:00:00Z');
    // November: chip 800, screw 150, label 50 of value 1000; the motor is only received; the spring is
    // consumed in October, outside the period.
    await movement('chip', 'ISSUE', 50, '2026-11-03T08:00:00Z');
    await movement('chip', 'CONSUME', 30, '2026-11-20T08:00:00Z');
    await movement('screw', 'ISSUE', 150, '2026-11-05T08:00:00Z');
    await movement('label', 'ISSUE', 100, '2026-11-30T23:59:59Z');
    await movement('spring', 'ISSUE', 400, '2026-10-15T08:00:00Z');
    await movement('motor', 'SCRAP', 1, '2026-11-10T08:00:00Z');
  });
  afterAll(() => database?.drop());

  it('ranks the period’s consumption value and writes A/B/C onto the items', async () => {
    const changed: unknown[] = [];
    const remove = entities.hooks.on('inTransaction', { entity: 'item_master', action: 'update' }, (args) => {
      changed.push([args.record.id, args.previous?.abcClass ?? null, args.record.abcClass]);
    });
    const result = await runAbcAnalysis(
      entities,
      ctx,
      parseAbcRequest({ from: '2026-11-01', to: '2026-12-01' }),
    ).finally(remove);
    // Every class written is an item update through the record-change path, with its hooks.
    expect(changed).toEqual(
      Object.entries({ chip: 'A', screw: 'B', label: 'C', motor: 'C', spring: 'C' }).map(([name, abc]) => [
        items[name],
        null,
        abc,
      ]),
    );
    expect(result.totalValue).toBe(1000);
    expect(
      result.items.map((i) => [
        i.itemName,
        i.issuedQuantity,
        i.consumptionValue,
        i.cumulativeShare,
        i.abcClass,
      ]),
    ).toEqual([
      ['chip', 80, 800, 80, 'A'],
      ['screw', 150, 150, 95, 'B'],
      ['label', 100, 50, 100, 'C'],
    ]);
    expect(result.counts).toEqual({ A: 1, B: 1, C: 3 });
    expect(await classes()).toEqual({ chip: 'A', screw: 'B', label: 'C', motor: 'C', spring: 'C' });
    const events = await database.db
      .executor()
      .query<{ event_type: string }>("SELECT event_type FROM evt_outbox WHERE event_type LIKE 'inventory.%'");
    expect(events).toEqual([{ event_type: 'inventory.abc_analysis.completed' }]);
  });

  it('takes the thresholds and the period from the request', async () => {
    const result = await runAbcAnalysis(
      entities,
      ctx,
      parseAbcRequest({ from: '2026-10-01', to: '2026-12-01', aPercent: 40, bPercent: 90 }),
    );
    // October adds the spring, 400 × 2 = 800 of 1800: what comes before it is 44 %, before the screw 89 %.
    expect(result.items.map((i) => [i.itemName, i.abcClass])).toEqual([
      ['chip', 'A'],
      ['spring', 'B'],
      ['screw', 'B'],
      ['label', 'C'],
    ]);
    expect(await classes()).toEqual({ chip: 'A', spring: 'B', screw: 'B', label: 'C', motor: 'C' });
  });
});
