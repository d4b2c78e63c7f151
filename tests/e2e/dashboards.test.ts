/**
 * Dashboards in the browser on the demo plant, as the production planner: the home page is the
 * production dashboard; a card drills down to the filtered record list; a work order released
 * elsewhere moves the active work orders card through the live channel (the dashboard's own refresh
 * timer is 30 s, the wait here ends long before it); a table widget downloads as the CSV it shows. The production manager lands on the plant
 * overview (OEE from the equipment state history, stacked bars, a heatmap), the supervisor on the
 * shift floor; a click on a stacked segment opens the work reports of that day and that line; with a
 * plant chosen, a click on a night-shift bar opens the work reports of that night in the plant's time
 * zone, past midnight included.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

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

const cardValue = (page: Page, widget: string) =>
  page.locator(`[data-widget="${widget}"] .mes-kpi-value`).innerText();

test('the planner lands on the production dashboard and drills down from a KPI card', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'planner');
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

test('a table widget exports as CSV the column labels and rows the table shows', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'planner');
  const table = page.locator('[data-view="dashboard"] [data-widget="open_work_orders"]');
  const rows = table.locator('.el-table__body tr');
  await rows.first().waitFor();
  const labels = (await table.locator('.el-table__header th').allInnerTexts()).map((label) => label.trim());
  const shown = await Promise.all(
    (await rows.all()).map(async (row) =>
      (await row.locator('td').allInnerTexts()).map((cell) => cell.trim()),
    ),
  );
  const downloading = page.waitForEvent('download');
  await table.locator('[data-export="csv"]').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('open_work_orders.csv');
  const text = readFileSync((await download.path())!, 'utf8');
  // A byte order mark for Excel, and CRLF line ends as RFC 4180 has them.
  expect(text.startsWith('\ufeff')).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true);
  expect(parse(text, { bom: true })).toEqual([labels, ...shown]);
});

test('the manager lands on the plant overview, the supervisor on the shift floor', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'manager');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="scrap"] .mes-kpi-value');
  await page.waitForSelector('[data-widget="output_by_line"] canvas');
  await page.waitForSelector('[data-widget="scrap_heatmap"] canvas');
  expect(await page.locator('[data-view="dashboard"] h2').innerText()).toBe('Plant overview');
  await harness.screenshot('bi-home-manager');

  await signInThroughLogin(harness, 'supervisor');
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
  await signInThroughLogin(harness, 'manager');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="oee"] canvas');
  await page.waitForSelector('[data-widget="availability"] .mes-kpi-value');
  // The demo's state history and work reports give a real availability, not a dash.
  expect(await cardValue(page, 'availability')).toMatch(/\d/);
  // Once drawn: while the bars grow in, the foot of a column may not be under the click yet.
  await page.waitForSelector('[data-widget="output_by_line"] .mes-chart[data-drawn]');
  const chart = page.locator('[data-widget="output_by_line"] canvas');
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

test('the manager chooses a plant and drills down from a night-shift bar to that night', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'manager');
  await page.waitForSelector('[data-view="dashboard"] [data-widget="output_by_shift"] canvas');
  const [plant] = (
    await harness.apiGet<{ items: { id: number; plantName: string; timezone: string }[] }>(
      '/api/plants?pageSize=100&fields=id,plantName,timezone&count=none',
    )
  ).items;
  expect(plant.timezone).toBe('Asia/Shanghai');
  await page.click('[data-filter="plant"]');
  await page.locator('.el-select-dropdown__item:visible', { hasText: plant.plantName }).first().click();
  // The chart redraws with the plant's buckets: the new option clears `data-drawn`, and the chart
  // sets it again once its bars have grown in. Watched from before the click, so neither is missed.
  await page.waitForSelector('[data-widget="output_by_shift"] .mes-chart[data-drawn]');
  await page.evaluate(`(() => {
    const host = document.querySelector('[data-widget="output_by_shift"] .mes-chart');
    let cleared = false;
    const observer = new MutationObserver(() => {
      if (!host.hasAttribute('data-drawn')) cleared = true;
      else if (cleared) {
        host.setAttribute('data-redrawn', '');
        observer.disconnect();
      }
    });
    observer.observe(host, { attributes: true, attributeFilter: ['data-drawn'] });
  })()`);
  const reloaded = page.waitForResponse((r) => r.url().includes(`/api/bi/dashboards/plant_overview?`));
  await page.click('[data-action="apply"]');
  // The bars as the manager's dashboard answered them for that plant: the fullest night.
  const overview = (await (await reloaded).json()) as {
    data: { widgets: { id: string; points?: { key: string | null; value: number | null }[] }[] };
  };
  expect(new URL((await reloaded).url()).searchParams.get('plant')).toBe(String(plant.id));
  const points = overview.data.widgets.find((w) => w.id === 'output_by_shift')!.points!;
  const nights = points.filter((p) => p.key?.endsWith('/NIGHT'));
  expect(nights.length).toBeGreaterThan(0);
  await page.waitForSelector('[data-widget="output_by_shift"] .mes-chart[data-redrawn]');
  const night = nights.reduce((best, p) => ((p.value ?? 0) > (best.value ?? 0) ? p : best));
  const index = points.indexOf(night);

  // The bar's foot (grid: 48 px left, 16 right, 32 bottom).
  const chart = page.locator('[data-widget="output_by_shift"] canvas');
  const box = (await chart.boundingBox())!;
  const plotWidth = box.width - 48 - 16;
  await chart.click({
    position: { x: 48 + (plotWidth * (index + 0.5)) / points.length, y: box.height - 32 - 4 },
  });
  await page.waitForURL(/\/e\/work-reports\?filter=/);
  const filter = JSON.parse(new URL(page.url()).searchParams.get('filter') ?? '') as {
    and: Record<string, Record<string, unknown>>[];
  };
  // NIGHT is 20:00–08:00 on the plant's clock (UTC+8): 12:00 UTC that day to 00:00 UTC the next.
  const day = night.key!.slice(0, 10);
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
  const range = filter.and.find((c) => 'startTime' in c && 'gte' in c.startTime)?.startTime;
  expect(range).toEqual({ gte: `${day}T12:00:00.000Z`, lt: next });
  expect(JSON.stringify(filter)).toContain(`"workstation.line.plantId":{"eq":${plant.id}}`);

  // The list holds exactly the reports of that night, and they add up to the bar.
  const query = encodeURIComponent(JSON.stringify(filter));
  const expected = await harness.apiGet<{ items: { startTime: string }[]; total: number }>(
    `/api/work-reports?count=exact&pageSize=100&filter=${query}`,
  );
  expect(expected.total).toBeGreaterThan(0);
  for (const report of expected.items)
    expect(report.startTime >= (range!.gte as string) && report.startTime < (range!.lt as string)).toBe(true);
  const sum = await harness.apiGet<{ rows: Record<string, number>[] }>(
    `/api/work-reports/aggregate?measures=sum:goodQuantity&filter=${query}`,
  );
  expect(Number(sum.rows[0]['sum:goodQuantity'])).toBe(night.value);
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(await page.locator('.mes-list-table .el-table__row').count()).toBe(expected.total);
});
