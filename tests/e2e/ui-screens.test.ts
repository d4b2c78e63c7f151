import { DEMO_PASSWORD, openApp, startHarness, type BrowserHarness } from './browser-harness';
import { waitForValue } from '../support/wait-for';

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

test('signs in as a demo user and shows the shell with the menu', async () => {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell .el-menu');
  await harness.screenshot('login');
  expect(await page.locator('.mes-user').innerText()).toBe('admin');
});

test('creates a work order: a validation error shows on its field, fixing it saves', async () => {
  const { page } = harness;
  await openApp(harness, '/e/work-orders/new');
  await page.waitForSelector('#mes-entity-form [data-type="relation"]');
  await chooseFirstOption(page, '#work_order__itemId');
  await chooseFirstOption(page, '#work_order__lineId');
  await page.fill('#work_order__plannedQuantity', '0');
  await page.fill('#work_order__plannedStart', '2026-12-01 08:00');
  await page.press('#work_order__plannedStart', 'Enter');
  await page.click('[data-action="save"]');
  const message = page.locator('[data-family="text"][data-type="number"] .formkit-message').first();
  await message.waitFor();
  await harness.screenshot('work-order-validation-error');
  expect(page.url()).toMatch(/\/e\/work-orders\/new$/);

  await page.fill('#work_order__plannedQuantity', '120');
  await page.click('[data-action="save"]');
  await page.waitForURL(/\/e\/work-orders\/\d+$/);
  await page.waitForSelector('.el-descriptions');
  await harness.screenshot('work-order-saved');
  expect(await page.locator('.el-descriptions').innerText()).toContain('120');
});

test('filters a list by status and sorts it by WO number', async () => {
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
  const states = await columnTexts(page, 8);
  expect(states.length).toBeGreaterThan(0);
  expect(new Set(states)).toEqual(new Set(['Draft']));

  await Promise.all([
    page.waitForResponse((r) => r.url().includes('sort=woNo')),
    page.click('.mes-list-table th:nth-child(2) .cell'),
  ]);
  // The answer is in; the table shows it once Vue re-renders.
  const numbers = await waitForValue('the list re-rendered in work order number order', async () => {
    const texts = await columnTexts(page, 2);
    return texts.length > 1 && texts.join('\n') === [...texts].sort().join('\n') ? texts : undefined;
  });
  expect(numbers).toEqual([...numbers].sort());
  await harness.screenshot('work-orders-filtered-sorted');
});

test('releases a draft work order from its detail screen', async () => {
  const { page } = harness;
  const drafts = await harness.apiGet<{ items: { id: number }[] }>(
    '/api/work-orders?filter[status][eq]=DRAFT&pageSize=1',
  );
  const draft = drafts.items[0];
  await openApp(harness, `/e/work-orders/${draft.id}`);
  await page.click('[data-workflow-action="release"]');
  await page.click('[data-action="confirm-action"]');
  await page.waitForSelector('[data-role="state"][data-state="RELEASED"]');
  await harness.screenshot('work-order-released');
  expect(await page.locator('.el-timeline').innerText()).toContain('Released');
});

test('traces a serial number and draws its genealogy graph', async () => {
  const { page } = harness;
  const serials = await harness.apiGet<{ items: { sn: string }[] }>('/api/serial-numbers?pageSize=1');
  const serial = serials.items[0];
  await openApp(harness, '/trace');
  await page.fill('input[name="trace-code"]', serial.sn);
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/trace/reverse')),
    page.click('[data-action="trace"]'),
  ]);
  await page.waitForSelector('[data-role="trace-graph"] canvas, .el-alert--error');
  await harness.screenshot('trace-graph');
  expect(await page.locator('.el-alert--error').allInnerTexts()).toEqual([]);
  expect(await page.locator('[data-role="trace-graph"] canvas').count()).toBe(1);
});

async function chooseFirstOption(page: BrowserHarness['page'], inputId: string): Promise<void> {
  await page.click(inputId);
  const option = page.locator('.el-select-dropdown__item:visible').first();
  await option.waitFor();
  await option.click();
  await option.waitFor({ state: 'hidden' });
}

async function columnTexts(page: BrowserHarness['page'], column: number): Promise<string[]> {
  return page.locator(`.mes-list-table .el-table__body tr td:nth-child(${column})`).allInnerTexts();
}
