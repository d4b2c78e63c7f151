/**
 * Operator and analyst screens on a 768 px tablet: shop-floor scanning and reporting, saved list
 * views, and the import preview.
 */
import { DEMO_PASSWORD, openApp, startHarness, type BrowserHarness } from './browser-harness';

const TABLET = { width: 768, height: 1024 };

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  starting = startHarness(TABLET);
  harness = await starting;
}, 120_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

interface WorkOrder {
  id: number;
  woNo: string;
  itemId: number;
  lineId: number;
  status: string;
}

test('a scanned work order opens on the shop floor at 768 px, starts, and takes a good and scrap report', async () => {
  const { page } = harness;
  const template = (await harness.apiGet<{ items: WorkOrder[] }>('/api/work-orders?pageSize=1')).items[0];
  const order = await harness.apiSend<WorkOrder>('POST', '/api/work-orders', {
    itemId: template.itemId,
    lineId: template.lineId,
    plannedQuantity: 10,
    plannedStart: '2026-12-01T08:00:00Z',
    operations: [
      { opSeq: 10, opCode: 'ASM', opName: 'Assembly', plannedQuantity: 10 },
      { opSeq: 20, opCode: 'TST', opName: 'Test', plannedQuantity: 10 },
    ],
  });
  await harness.apiSend('POST', `/api/work-orders/${order.id}/actions/release`, {});
  await harness.apiSend('POST', '/api/qms-codes', {
    codeType: 'DEFECT',
    code: 'E2E-SCRATCH',
    description: 'Scratch',
  });

  await openApp(harness, '/shop-floor');
  await page.waitForSelector('input[name="scan-code"]');
  // A keyboard-wedge scanner: fast keystrokes ending with Enter while no input has focus.
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.keyboard.type(order.woNo);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-entity="work_order"] [data-state="RELEASED"]');
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
    TABLET.width,
  );
  const start = page.locator('[data-workflow-action="start"]');
  expect((await start.boundingBox())?.height).toBeGreaterThanOrEqual(48);

  await start.click();
  await page.locator('[data-action="confirm-action"]:visible').click();
  await page.waitForSelector('[data-entity="work_order"] [data-state="IN_PROGRESS"]');

  await page.locator('[data-action="report-work-reports"]').first().click();
  await page.fill('#report-goodQuantity', '7');
  await page.fill('#report-scrapQuantity', '1');
  await page.click('#report-defectCode');
  await page.locator('.el-select-dropdown__item:visible:has-text("E2E-SCRATCH")').click();
  await harness.screenshot('shop-floor-report-dialog');
  // Keyboard: Enter in a quantity field submits the report.
  await page.press('#report-goodQuantity', 'Enter');
  await page.waitForSelector('.el-message--success');
  await page.waitForSelector('[data-role="report-dialog"]', { state: 'hidden' });
  const firstOperation = page.locator('[data-child-row]').first();
  await firstOperation.locator('[data-field="completedQuantity"]:has-text("7")').waitFor();
  expect(await firstOperation.locator('[data-field="rejectedQuantity"]').innerText()).toBe('1');
  await harness.screenshot('shop-floor-work-order');

  const reports = await harness.apiGet<{ items: { goodQuantity: number; scrapQuantity: number }[] }>(
    `/api/work-reports?filter[workOrder][eq]=${order.id}`,
  );
  expect(reports.items.map((r) => [Number(r.goodQuantity), Number(r.scrapQuantity)])).toEqual([[7, 1]]);
  const started = await harness.apiGet<WorkOrder>(`/api/work-orders/${order.id}`);
  expect(started.status).toBe('IN_PROGRESS');
});

interface StoredView {
  id: number;
  viewName: string;
  isDefault: boolean;
  definition: { filters: Record<string, unknown>; sort: string | null };
}

const storedViews = async (): Promise<StoredView[]> =>
  (
    await harness.apiGet<{ items: StoredView[] }>(
      '/api/saved-views?filter[entityName][eq]=work_order&sort=viewName',
    )
  ).items;

test('a saved list view is stored on the server and re-applies its filter and sort after a reload', async () => {
  const { page } = harness;
  await openApp(harness, '/e/work-orders');
  // A view this browser kept locally before views moved to the server is moved there on first load.
  await page.evaluate(
    `localStorage.setItem('mes.views.admin.work_order', JSON.stringify([{ name: 'Legacy', search: '', filters: {}, sort: '-woNo', columns: [], pageSize: 50 }]))`,
  );
  await page.reload();
  await page.waitForSelector('.mes-list-table .el-table__row');
  await page.click('[data-filter="status"]');
  await page.click('.el-select-dropdown__item:has-text("Draft")');
  await page.keyboard.press('Escape');
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D')),
    page.click('[data-action="filter"]'),
  ]);
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('sort=woNo')),
    page.click('.mes-list-table th:nth-child(2) .cell'),
  ]);
  await page.click('[data-action="save-view"]');
  await page.fill('.el-message-box input', 'Draft orders');
  await page.click('.el-message-box .el-button--primary');
  await page.waitForURL(/view=Draft/);
  expect(await page.evaluate("localStorage.getItem('mes.views.admin.work_order')")).toBeNull();
  const saved = await storedViews();
  expect(saved.map((v) => v.viewName)).toEqual(['Draft orders', 'Legacy']);
  expect(saved[0].definition).toMatchObject({ filters: { status: ['DRAFT'] }, sort: 'woNo' });
  expect(saved[1].definition).toMatchObject({ sort: '-woNo', pageSize: 50 });

  await page.goto(`${harness.baseUrl}/e/work-orders`);
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(new Set(await columnTexts(page, 8)).size).toBeGreaterThan(1);
  await page.click('[data-role="view-select"]');
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D') && r.url().includes('sort=woNo')),
    page.click('.el-select-dropdown__item:visible:has-text("Draft orders")'),
  ]);

  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D') && r.url().includes('sort=woNo')),
    page.reload(),
  ]);
  await page.waitForSelector('.mes-list-table .el-table__row');
  const states = await columnTexts(page, 8);
  expect(states.length).toBeGreaterThan(0);
  expect(new Set(states)).toEqual(new Set(['Draft']));
  const numbers = await columnTexts(page, 2);
  expect(numbers).toEqual([...numbers].sort());
  await harness.screenshot('list-saved-view');

  // Marked as the default, the view applies when the list opens without one in its URL.
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/saved-views/') && r.request().method() === 'PATCH'),
    page.click('[data-action="default-view"]'),
  ]);
  expect((await storedViews()).map((v) => [v.viewName, v.isDefault])).toEqual([
    ['Draft orders', true],
    ['Legacy', false],
  ]);
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D') && r.url().includes('sort=woNo')),
    page.goto(`${harness.baseUrl}/e/work-orders`),
  ]);
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(new Set(await columnTexts(page, 8))).toEqual(new Set(['Draft']));

  await page.click('[data-action="delete-view"]');
  await page.waitForURL(/view=$/);
  expect((await storedViews()).map((v) => v.viewName)).toEqual(['Legacy']);

  // A header sorts from the keyboard too: Enter on the focused number header turns its order.
  const header = '.mes-list-table th:nth-child(2)';
  const before = await page.getAttribute(header, 'aria-sort');
  const next = before === 'ascending' ? 'descending' : before === 'descending' ? 'none' : 'ascending';
  await page.focus(header);
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/work-orders?')),
    page.keyboard.press('Enter'),
  ]);
  await page.waitForSelector(`${header}[aria-sort="${next}"]`);
});

test('the import preview lists a row error and refuses to import the file', async () => {
  const { page } = harness;
  const template = (await harness.apiGet<{ items: WorkOrder[] }>('/api/work-orders?pageSize=1')).items[0];
  const csv = [
    'itemId,lineId,plannedQuantity,priority,plannedStart',
    `${template.itemId},${template.lineId},20,NORMAL,2026-12-01T08:00:00Z`,
    `${template.itemId},${template.lineId},0,NORMAL,2026-12-02T08:00:00Z`,
  ].join('\n');
  await openApp(harness, '/e/work-orders');
  await page.click('[data-action="open-import"]');
  await page.setInputFiles('input[name="import-file"]', {
    name: 'work-orders.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  const errors = page.locator('[data-role="import-errors"] .el-table__body tr');
  await errors.first().waitFor();
  await harness.screenshot('import-preview-row-error');
  expect(await errors.count()).toBe(1);
  const cells = await errors.first().locator('td').allInnerTexts();
  expect(cells.slice(0, 2)).toEqual(['3', 'plannedQuantity']);
  expect(await page.locator('[data-role="import-rows"]').innerText()).toContain('2');
  expect(await page.locator('[data-action="import"]').isDisabled()).toBe(true);
});

async function columnTexts(page: BrowserHarness['page'], column: number): Promise<string[]> {
  return page.locator(`.mes-list-table .el-table__body tr td:nth-child(${column})`).allInnerTexts();
}

test('two selected draft work orders are released together through a bulk workflow action', async () => {
  const { page } = harness;
  await openApp(harness, '/e/work-orders');
  await page.waitForSelector('.mes-list-table .el-table__row');
  await page.click('[data-filter="status"]');
  await page.click('.el-select-dropdown__item:has-text("Draft")');
  await page.keyboard.press('Escape');
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D')),
    page.click('[data-action="filter"]'),
  ]);
  await page.waitForSelector('.mes-list-table .el-table__row');
  const rows = page.locator('.mes-list-table .el-table__body tr');
  const ids: number[] = [];
  for (const index of [0, 1]) {
    await rows.nth(index).locator('.el-checkbox').click();
    const href = await rows.nth(index).locator('a').first().getAttribute('href');
    ids.push(Number(href?.split('/').pop()));
  }
  await page.click('[data-action="bulk-actions"]');
  await page.locator('[data-bulk-action="release"]:visible').click();
  await page.locator('[data-action="confirm-action"]:visible').click();
  await page.waitForSelector('.el-message--success');
  await harness.screenshot('list-bulk-release');
  for (const id of ids) {
    const order = await harness.apiGet<WorkOrder>(`/api/work-orders/${id}`);
    expect(order.status).toBe('RELEASED');
  }
});

test('two selected draft work orders are deleted together in one bulk request', async () => {
  const { page } = harness;
  await openApp(harness, '/e/work-orders');
  await page.waitForSelector('.mes-list-table .el-table__row');
  await page.click('[data-filter="status"]');
  await page.click('.el-select-dropdown__item:has-text("Draft")');
  await page.keyboard.press('Escape');
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('filter%5Bstatus%5D')),
    page.click('[data-action="filter"]'),
  ]);
  await page.waitForSelector('.mes-list-table .el-table__row');
  const rows = page.locator('.mes-list-table .el-table__body tr');
  const ids: number[] = [];
  for (const index of [0, 1]) {
    await rows.nth(index).locator('.el-checkbox').click();
    const href = await rows.nth(index).locator('a').first().getAttribute('href');
    ids.push(Number(href?.split('/').pop()));
  }
  await page.click('[data-action="delete-selected"]');
  const [bulk] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/work-orders/bulk')),
    page.locator('.el-message-box__btns .el-button--primary').click(),
  ]);
  expect(bulk.status()).toBe(200);
  await page.waitForSelector('.el-message--success');
  for (const id of ids)
    await expect(harness.apiGet(`/api/work-orders/${id}`)).rejects.toThrow(`/api/work-orders/${id}: 404`);
});

test('the shop floor follows the language switch and the dark theme, and opens a scanned lot', async () => {
  const { page } = harness;
  const lot = (await harness.apiGet<{ items: { lotNo: string }[] }>('/api/production-lots?pageSize=1'))
    .items[0];
  await openApp(harness, '/shop-floor');
  await page.click('.mes-header .el-select');
  await page.click('.el-select-dropdown__item:visible:has-text("中文")');
  await page.click('.mes-header .el-switch');
  await page.waitForSelector('html.dark');
  expect(await page.locator('.mes-scan-label').innerText()).toBe('扫描或输入工单号 / 批次号 / 序列号');
  expect(await page.locator('[data-action="toggle-shop-floor"]').innerText()).toBe('退出车间模式');

  await page.fill('input[name="scan-code"]', lot.lotNo);
  await page.press('input[name="scan-code"]', 'Enter');
  await page.waitForSelector('[data-entity="production_lot"] [data-role="state"]');
  await harness.screenshot('shop-floor-lot-zh-dark');
  expect(await page.locator('.mes-shop-head h2').innerText()).toContain(lot.lotNo);
  const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
  const [red, green, blue] = (background.match(/\d+/g) ?? []).map(Number);
  expect(red + green + blue).toBeLessThan(3 * 128);
});

test('an approver votes on a pending concession from the detail screen and it completes', async () => {
  const { page } = harness;
  const failed = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/inspections?filter[status][eq]=FAILED&pageSize=1')
  ).items[0];
  const requested = await harness.apiSend<{ status: string }>(
    'POST',
    `/api/inspections/${failed.id}/actions/concede`,
    { reason: 'Customer accepts cosmetic deviation', fields: { concessionReason: 'Cosmetic only' } },
  );
  expect(requested.status).toBe('PENDING_APPROVAL');
  const inspector = (
    await harness.apiGet<{
      items: { id: number; version: number; roles: { id: number; roleId: number }[] }[];
    }>('/api/users?filter[username][eq]=inspector&expand=roles')
  ).items[0];
  const manager = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/roles?filter[roleCode][eq]=quality_manager')
  ).items[0];
  await harness.apiSend('PATCH', `/api/users/${inspector.id}`, {
    version: inspector.version,
    roles: [...inspector.roles.map((r) => ({ id: r.id, roleId: r.roleId })), { roleId: manager.id }],
  });

  await openApp(harness, '/');
  await page.click('[data-action="logout"]');
  await page.fill('#login-username', 'inspector');
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell');
  await page.goto(`${harness.baseUrl}/e/inspections/${failed.id}`);
  await page.click('[data-workflow-action="concede"]');
  const dialog = page.locator('.el-dialog:visible');
  await dialog.locator('[data-decision="approve"]').click();
  await dialog.locator('textarea[name="comment"]').fill('Approved for this lot');
  expect(await dialog.locator('textarea[name="reason"]').count()).toBe(0);
  await harness.screenshot('approval-vote-dialog');
  await dialog.locator('[data-action="confirm-action"]').click();
  await page.waitForSelector('[data-role="state"][data-state="COMPLETED"]');
  await harness.screenshot('approval-completed');
  // The shop-floor test above left the app in Chinese: the history names the state in the UI language.
  expect(await page.locator('.el-timeline').innerText()).toMatch(/→ (Completed|已完成)/);
});
