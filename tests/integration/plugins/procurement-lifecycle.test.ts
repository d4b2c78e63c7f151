/**
 * The procurement plugin's whole life at runtime, on the real server: install an earlier release
 * (metadata only, no on-time flag) → enable → use → disable → enable → upgrade to this release (new
 * column, its data migration backfilling the flag, server code and routes) → uninstall keeping the
 * data → reinstall reattaching it → uninstall dropping it.
 */
import { join } from 'node:path';
import { tableNames, type TestDialect } from './plugin-harness';
import {
  bootBusinessServer,
  ok,
  PLUGINS_DIR,
  previousRelease,
  type BusinessServer,
  type Call,
} from './business-plugins-harness';
import { TEST_DIALECTS } from '../../support/test-dialects';

type Rec = Record<string, unknown> & { id: number; version: number };
const current = join(PLUGINS_DIR, 'procurement');
const TABLES = [
  'purchase_order',
  'purchase_order_line',
  'goods_receipt',
  'goods_receipt_line',
  'supplier_evaluation',
];

describe.each<TestDialect>(TEST_DIALECTS)('procurement plugin lifecycle on %s', (dialect) => {
  let env: BusinessServer;
  let admin: Call;
  let release: ReturnType<typeof previousRelease>;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    release = previousRelease('procurement', '0.9.0', ['goods-receipt.yaml#on_time']);
    env = await bootBusinessServer(dialect, 'procurement_lifecycle', { withCatalog: false });
    admin = env.as('admin');
    const uom = ok(await admin<Rec>('POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' }));
    ids.item = ok(
      await admin<Rec>('POST', '/api/items', { itemName: 'Gear', itemType: 'RAW', uomId: uom.id }),
    ).id;
    ids.supplier = ok(await admin<Rec>('POST', '/api/suppliers', { supplierName: 'Gearworks' })).id;
    ids.location = ok(
      await admin<Rec>('POST', '/api/locations', { locationName: 'Dock', locationType: 'WAREHOUSE' }),
    ).id;
  }, 240_000);
  afterAll(async () => {
    await env?.close();
    release?.cleanup();
  });

  const plugin = async () => ok(await admin<Rec>('GET', '/api/admin/plugins/procurement'));
  const kpiUrl = () => `/api/plugins/procurement/suppliers/${ids.supplier}/kpi?from=2026-10-01&to=2026-10-31`;

  it('installs the earlier release: tables migrated, nothing served until enabled', async () => {
    const installed = await admin<Rec>('POST', '/api/admin/plugins', { source: release.dir });
    expect(installed.status).toBe(201);
    expect(installed.data).toMatchObject({ version: '0.9.0', status: 'installed' });
    expect(await tableNames(env.server)).toEqual(expect.arrayContaining(TABLES));
    expect((await admin('GET', '/api/purchase-orders')).status).toBe(404);
  });

  it('enables it and uses it: an order and a receipt received against it', async () => {
    expect(ok(await admin<Rec>('POST', '/api/admin/plugins/procurement/enable')).status).toBe('enabled');
    const order = ok(
      await admin<Rec & { lines: Rec[] }>('POST', '/api/purchase-orders', {
        supplierId: ids.supplier,
        poDate: '2026-10-01',
        promisedDate: '2026-10-15',
        buyerId: env.userId('admin'),
        lines: [{ lineNo: 1, itemId: ids.item, quantity: 10, unitPrice: 3 }],
      }),
    );
    ids.order = order.id;
    const receipt = ok(
      await admin<Rec>('POST', '/api/goods-receipts', {
        purchaseOrderId: order.id,
        supplierId: ids.supplier,
        grnDate: '2026-10-12',
        locationId: ids.location,
        iqcInspectorId: env.userId('inspector'),
        lines: [{ lineNo: 1, poLineId: order.lines[0]!.id, itemId: ids.item, quantity: 10 }],
      }),
    );
    ids.receipt = receipt.id;
    ok(await admin('POST', `/api/goods-receipts/${receipt.id}/actions/receive`));
    const received = ok(await admin<Rec>('GET', `/api/goods-receipts/${receipt.id}`));
    expect(received.status).toBe('RECEIVED');
    expect(received).not.toHaveProperty('onTime');
    // The earlier release has no server code: no routes of its own.
    expect((await admin('GET', kpiUrl())).status).toBe(404);
  });

  it('disables it: its API answers 404 and its rows stay; enabling serves them again', async () => {
    expect(ok(await admin<Rec>('POST', '/api/admin/plugins/procurement/disable')).status).toBe('disabled');
    expect((await admin('GET', `/api/goods-receipts/${ids.receipt}`)).status).toBe(404);
    const rows = (await env.server.dataSource.query('SELECT id FROM goods_receipt')) as unknown[];
    expect(rows).toHaveLength(1);
    expect(ok(await admin<Rec>('POST', '/api/admin/plugins/procurement/enable')).status).toBe('enabled');
    expect(ok(await admin<Rec>('GET', `/api/goods-receipts/${ids.receipt}`)).status).toBe('RECEIVED');
  });

  it('upgrades to this release: new column, data migration backfilling it, server code and routes live', async () => {
    const upgraded = await admin<Rec>('POST', '/api/admin/plugins/procurement/upgrade', {
      source: current,
    });
    expect(upgraded.status).toBe(200);
    expect(upgraded.data).toMatchObject({ version: '1.0.0', status: 'enabled' });
    // 12 Oct on or before the promised 15 Oct: the migration marks the old receipt on time.
    expect(ok(await admin<Rec>('GET', `/api/goods-receipts/${ids.receipt}`)).onTime).toBe(true);
    expect(ok(await admin<Rec>('GET', kpiUrl()))).toMatchObject({
      deliveries: 1,
      onTimeDeliveries: 1,
      onTimeRate: 100,
    });
    const order = ok(
      await admin<Rec>('POST', '/api/purchase-orders', {
        supplierId: ids.supplier,
        poDate: '2026-10-20',
        buyerId: env.userId('admin'),
        taxRate: 0,
        lines: [{ lineNo: 1, itemId: ids.item, quantity: 4, unitPrice: 2.5 }],
      }),
    );
    expect(order.totalAmount).toBe(10);
    expect(await plugin()).toMatchObject({ version: '1.0.0', status: 'enabled' });
  });

  it('disabling the upgraded plugin takes its routes down too', async () => {
    ok(await admin('POST', '/api/admin/plugins/procurement/disable'));
    expect((await admin('GET', kpiUrl())).status).toBe(404);
    ok(await admin('POST', '/api/admin/plugins/procurement/enable'));
    expect((await admin('GET', kpiUrl())).status).toBe(200);
  });

  it('uninstalls keeping the data, reinstalls reattaching it, then uninstalls dropping it', async () => {
    expect((await admin('DELETE', '/api/admin/plugins/procurement')).status).toBe(204);
    expect((await admin('GET', '/api/purchase-orders')).status).toBe(404);
    expect((await admin('GET', kpiUrl())).status).toBe(404);
    expect(await tableNames(env.server)).toEqual(expect.arrayContaining(TABLES));

    ok(await admin('POST', '/api/admin/plugins', { source: current, enable: true }));
    expect(ok(await admin<{ items: Rec[] }>('GET', '/api/purchase-orders')).items).toHaveLength(2);

    expect((await admin('DELETE', '/api/admin/plugins/procurement?dropData=true')).status).toBe(204);
    const tables = await tableNames(env.server);
    for (const table of TABLES) expect(tables).not.toContain(table);
    expect((await admin('GET', '/api/suppliers')).status).toBe(200);
  });
});
