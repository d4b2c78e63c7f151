/**
 * The browser app when the signed-in user's grants change while they work: the planner's token is
 * refused as stale once the administrator changes the planner's lines, and the list search the
 * planner typed is answered after a silent refresh, with no sign-in dialog; the operator disabled by
 * the administrator lands on the sign-in page, which says the account was disabled.
 */
import type { Page } from 'playwright-core';
import { signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;
const statuses: { url: string; status: number; code?: string }[] = [];

beforeAll(async () => {
  starting = startHarness({ width: 1366, height: 860 });
  harness = await starting;
  harness.page.on('response', (response) => {
    const url = response.url();
    if (!url.includes('/api/')) return;
    const entry: { url: string; status: number; code?: string } = { url, status: response.status() };
    statuses.push(entry);
    if (response.status() === 401)
      void response
        .json()
        .then((body: { code?: string }) => (entry.code = body.code))
        .catch(() => undefined);
  });
}, 120_000);

afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

async function signInAs(page: Page, username: string, path: string): Promise<void> {
  await signInThroughLogin(harness, username);
  await page.goto(`${harness.baseUrl}${path}`);
  await page.waitForSelector('.mes-list-table');
}

async function userId(username: string): Promise<{ id: number; version: number }> {
  const found = await harness.apiGet<{ items: { id: number; version: number }[] }>(
    `/api/users?filter[username][eq]=${username}`,
  );
  return found.items[0]!;
}

test('a stale token is renewed silently: the search the planner typed is answered', async () => {
  const { page } = harness;
  await signInAs(page, 'planner', '/e/work-orders');
  const planner = await userId('planner');
  const lines = await harness.apiGet<{ items: { id: number }[] }>('/api/production-lines?pageSize=1');
  await harness.apiSend('PATCH', `/api/users/${planner.id}`, {
    linesIds: [lines.items[0]!.id],
    version: planner.version,
  });
  statuses.length = 0;
  await page.fill('input[name="search"]', 'WO');
  const answered = page.waitForResponse(
    (response) => /\/api\/work-orders\?/.test(response.url()) && response.status() === 200,
  );
  await page.press('input[name="search"]', 'Enter');
  await answered;
  expect(statuses.some((entry) => entry.status === 401 && /\/api\/work-orders\?/.test(entry.url))).toBe(true);
  expect(statuses.some((entry) => entry.url.endsWith('/api/auth/refresh') && entry.status === 200)).toBe(
    true,
  );
  expect(await page.inputValue('input[name="search"]')).toBe('WO');
  expect(await page.locator('[data-role="session-lock"]:visible').count()).toBe(0);
});

test('a disabled operator lands on the sign-in page, told the account was disabled', async () => {
  const { page } = harness;
  await signInAs(page, 'operator', '/e/work-orders');
  const operator = await userId('operator');
  await harness.apiSend('POST', `/api/users/${operator.id}/actions/deactivate`, {
    reason: 'Left the company',
  });
  await page.fill('input[name="search"]', 'WO');
  await page.press('input[name="search"]', 'Enter');
  await page.waitForSelector('.mes-login');
  expect(await page.locator('.mes-login-error').innerText()).toMatch(/disabled or locked/);
  expect(await page.evaluate("localStorage.getItem('mes.session')")).toBeNull();
  expect(await page.locator('[data-role="session-lock"]:visible').count()).toBe(0);
});
