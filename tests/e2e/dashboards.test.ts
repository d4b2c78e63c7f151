/**
 * Dashboards in the browser on the demo plant, as the production planner: the home page is the
 * production dashboard; a card drills down to the filtered record list; a work order released
 * elsewhere moves the active work orders card through the live channel (the dashboard's own refresh
 * timer is 30 s, the wait here ends long before it). The production manager lands on the plant
 * overview (OEE from the equipment state history, stacked bars, a heatmap), the supervisor on the
 * shift floor; a click on a stacked segment opens the work reports of that day and that line.
 */
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD, startHarness, type BrowserHarness } from './browser-harness';

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  starting = startHarness();
  harness = await starting;
}, 120_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(`${harness.baseUrl}/login`);
  await page.evaluate("localStorage.removeItem('mes.session')");
  await page.fill('#login-username', username);
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell');
}

const cardValue = (page: Page, widget: string) =>
  page.locator(`[data-widget="${widget}"] .mes-kpi-value`).innerText();

test('the planner lands on the production dashboard and drills down from a KPI card', async () => {
  const { page } = harness;
  await signIn(page, 'planner');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="scrap"] .mes-kpi-value');
  await page.waitForSelector('[data-widget="output_by_day"] canvas');
  await harness.screenshot('bi-home-planner');
  expect(await page.locator('[data-widget="wip_by_status"]').count()).toBe(1);

  await page.click('[data-widget="active_work_orders"] .mes-kpi');
  await page.waitForURL(/\/e\/work-orders\?filter=/);
  const filter = new URL(page.url()).searchParams.get('filter') ?? '';
  expect(JSON.parse(filter)).toEqual({
    and: [{ and: [{ and: [{ status: { in: ['RELEASED', 'IN_PROGRESS', 'ON_HOLD'] } }] }] }],
  });
  await page.waitForSelector('.mes-list-table .el-table__row');
  await harness.screenshot('bi-drill-down');
});

test('a released work order moves the dashboard without a reload', async () => {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/dashboards/production`);
  await page.waitForSelector('[data-widget="active_work_orders"] .mes-kpi-value');
  const before = Number((await cardValue(page, 'active_work_orders')).replace(/[^\d]/g, ''));
  expect(before).toBeGreaterThan(0);
  const [item] = await harness
    .apiGet<{ items: { id: number }[] }>('/api/items?pageSize=1&filter[itemType][eq]=FINISHED')
    .then((page) => page.items);
  const [line] = await harness
    .apiGet<{ items: { id: number }[] }>('/api/production-lines?pageSize=1')
    .then((page) => page.items);
  const order = await harness.apiSend<{ id: number }>('POST', '/api/work-orders', {
    itemId: item.id,
    lineId: line.id,
    plannedQuantity: 5,
    plannedStart: '2026-12-01T08:00:00Z',
  });
  await harness.apiSend('POST', `/api/work-orders/${order.id}/actions/release`, {});
  await page
    .locator('[data-widget="active_work_orders"] .mes-kpi-value', { hasText: new RegExp(`^${before + 1}$`) })
    .waitFor({ timeout: 15_000 });
  await harness.screenshot('bi-live-refresh');
});

test('the manager lands on the plant overview, the supervisor on the shift floor', async () => {
  const { page } = harness;
  await signIn(page, 'manager');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="scrap"] .mes-kpi-value');
  await page.waitForSelector('[data-widget="output_by_line"] canvas');
  await page.waitForSelector('[data-widget="scrap_heatmap"] canvas');
  expect(await page.locator('[data-view="dashboard"] h2').innerText()).toBe('Plant overview');
  await harness.screenshot('bi-home-manager');

  await signIn(page, 'supervisor');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="output"] .mes-kpi-value');
  await page.waitForSelector('[data-widget="station_shift"] canvas');
  expect(await page.locator('[data-view="dashboard"] h2').innerText()).toBe('Shift floor');
  // A count, not a dash: the supervisor may read work reports (the demo plant has none yet).
  expect(await cardValue(page, 'reports')).toMatch(/^[\d,]+$/);
  expect(await page.locator('[data-widget="open_work_orders"] .el-table__row').count()).toBeGreaterThan(0);
  await harness.screenshot('bi-home-supervisor');
});

test('the manager sees OEE and drills down from a stacked segment to that day and line', async () => {
  const { page } = harness;
  await signIn(page, 'manager');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="oee"] canvas');
  await page.waitForSelector('[data-widget="availability"] .mes-kpi-value');
  // The demo's state history and work reports give a real availability, not a dash.
  expect(await cardValue(page, 'availability')).toMatch(/\d/);
  const chart = page.locator('[data-widget="output_by_line"] canvas');
  await chart.waitFor();
  await harness.docScreenshot('bi-home-manager');

  // The lowest segment of the first day's column (grid: 48 px left, 16 right, 48 bottom).
  const box = (await chart.boundingBox())!;
  const days = 3;
  const plotWidth = box.width - 48 - 16;
  await chart.click({ position: { x: 48 + plotWidth / (2 * days), y: box.height - 48 - 4 } });
  await page.waitForURL(/\/e\/work-reports\?filter=/);
  const filter = JSON.parse(new URL(page.url()).searchParams.get('filter') ?? '') as {
    and: Record<string, Record<string, string>>[];
  };
  const range = filter.and.find((c) => 'startTime' in c)?.startTime;
  const line = filter.and.find((c) => 'workstation.line.lineCode' in c)?.['workstation.line.lineCode'];
  // The first day of the demo's shop floor (no plant chosen: days in UTC), and one line.
  expect(range).toEqual({ gte: '2026-10-28T00:00:00.000Z', lt: '2026-10-29T00:00:00.000Z' });
  expect(line?.eq).toMatch(/^[AB]0\d$/);

  // The list shows exactly the reports of that line on that day.
  const expected = await harness.apiGet<{ items: { id: number; startTime: string }[]; total: number }>(
    `/api/work-reports?count=exact&pageSize=100&filter=${encodeURIComponent(JSON.stringify(filter))}`,
  );
  expect(expected.total).toBeGreaterThan(0);
  for (const report of expected.items) {
    expect(report.startTime >= range!.gte && report.startTime < range!.lt).toBe(true);
  }
  const all = await harness.apiGet<{ total: number }>('/api/work-reports?count=exact&pageSize=1');
  expect(expected.total).toBeLessThan(all.total);
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(await page.locator('.mes-list-table .el-table__row').count()).toBe(expected.total);
  await harness.docScreenshot('bi-drill-down-stacked');
});
