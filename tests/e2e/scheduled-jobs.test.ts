/**
 * Scheduled jobs in the browser, reached through the menu: the administrator creates a job whose
 * handler is picked from the registered ones — a plugin's scheduled job among them; a line leader
 * whose role was granted `job:read` and `job:run_now` finds the job running (started elsewhere) and
 * is told so by Run now (the server's 409), then runs it; a planner granted only `job:read` sees the
 * job without a Run now button. The test plugin's job lasts until released through its route, so a
 * run is going on exactly while the test needs one.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { choose, signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

const HOLDER_PLUGIN = join(__dirname, '..', 'fixtures', 'plugins', 'holder');

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;
const problems: string[] = [];
/** Answers the test expects to fail (the 409 of a second run): `<status> <path>`. */
const expected = new Set<string>();

beforeAll(async () => {
  starting = startHarness(undefined, { MES_RATE_LIMIT_LOGIN: '100' });
  harness = await starting;
  harness.page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !expected.has(`${response.status()} ${path}`))
      problems.push(`${response.status()} ${path}`);
  });
  harness.page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console: ${message.text()}`);
  });
  await harness.apiSend('POST', '/api/admin/plugins', { source: HOLDER_PLUGIN, enable: true });
  await grant('line_leader', ['job:read', 'job:run_now']);
  await grant('production_planner', ['job:read']);
}, 240_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

/** Adds the permissions (created when the tenant has no such row yet) to the role's granted ones. */
async function grant(roleCode: string, codes: string[]): Promise<void> {
  const permissionIds: number[] = [];
  for (const code of codes) {
    const found = await harness.apiGet<{ items: { id: number }[] }>(
      `/api/permissions?filter[permissionCode][eq]=${encodeURIComponent(code)}`,
    );
    permissionIds.push(
      found.items[0]?.id ??
        (
          await harness.apiSend<{ id: number }>('POST', '/api/permissions', {
            permissionCode: code,
            permissionName: code,
          })
        ).id,
    );
  }
  const [role] = (
    await harness.apiGet<{ items: { id: number }[] }>(`/api/roles?filter[roleCode][eq]=${roleCode}`)
  ).items;
  const stored = await harness.apiGet<{
    version: number;
    permissions: { id: number; permissionId: number }[];
  }>(`/api/roles/${role!.id}?expand=permissions`);
  await harness.apiSend('PATCH', `/api/roles/${role!.id}`, {
    version: stored.version,
    permissions: [
      ...stored.permissions.map(({ id, permissionId }) => ({ id, permissionId })),
      ...permissionIds
        .filter((id) => !stored.permissions.some((p) => p.permissionId === id))
        .map((permissionId) => ({ permissionId })),
    ],
  });
}

/** Configuration → Scheduled jobs → the job's detail screen, as a user finds it. */
async function openJob(page: Page, code: string): Promise<void> {
  await page.click('.mes-aside .el-sub-menu__title:has-text("Configuration")');
  await page.click('.mes-aside .el-menu-item:has-text("Scheduled jobs")');
  await page.waitForURL(/\/e\/jobs$/);
  await page.locator('.mes-list-table .el-table__row', { hasText: code }).locator('a').first().click();
  await page.waitForURL(/\/e\/jobs\/\d+$/);
  await page.locator('[data-field="jobCode"]', { hasText: code }).waitFor();
}

const running = async () =>
  (await harness.apiGet<{ running: number }>('/api/plugins/holder/running')).running;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; !(await check()); attempt++) {
    if (attempt > 600) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("admin: creates a job on a plugin's scheduled job, picked from the registered handlers", async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'admin');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Configuration")');
  await page.click('.mes-aside .el-menu-item:has-text("Scheduled jobs")');
  await page.waitForURL(/\/e\/jobs$/);
  await page.click('[data-action="create"]');
  await page.waitForSelector('#job__jobCode');
  await page.fill('#job__jobCode', 'E2E_HOLD');
  await page.fill('#job__jobName', 'Hold until released (e2e)');
  const picker = page.locator('[data-role="job-handler-picker"]');
  await picker.click();
  const options = page.locator('.el-select__popper:visible .el-select-dropdown__item');
  await options.filter({ hasText: 'holder.hold' }).waitFor();
  expect(await options.filter({ hasText: 'holder.hold' }).innerText()).toContain(
    'Scheduled job of plugin holder',
  );
  expect(await options.filter({ hasText: 'audit.verify_chain' }).count()).toBe(1);
  await page.keyboard.press('Escape');
  await choose(page, picker, 'holder.hold');
  await page.fill('#job__cron', '0 3 * * *');
  await page.click('[data-action="save"]');
  await page.waitForURL(/\/e\/jobs\/\d+$/);
  expect(await page.locator('[data-field="handler"]').innerText()).toBe('holder.hold');
  expect(await page.locator('[data-field="nextRunAt"]').innerText()).not.toBe('');
});

test('leader with job:run_now: told the job is already running (409), then runs it', async () => {
  const { page } = harness;
  const [job] = (await harness.apiGet<{ items: { id: number }[] }>('/api/jobs?filter[jobCode][eq]=E2E_HOLD'))
    .items;
  // A run started elsewhere (the administrator, over the API), going on until released.
  const elsewhere = harness.apiSend<{ lastResult: string }>('POST', `/api/jobs/${job!.id}/run_now`);
  await until('the first run to start', async () => (await running()) === 1);

  await signInThroughLogin(harness, 'leader');
  await openJob(page, 'E2E_HOLD');
  expected.add(`409 /api/jobs/${job!.id}/run_now`);
  await page.click('[data-action="run-now"]');
  const refused = page.locator('[data-role="job-run-error"]');
  await refused.waitFor();
  expect(await refused.innerText()).toContain(
    'The job is already running and does not allow concurrent runs; try again later',
  );
  expect(await page.locator('[data-role="job-outcome"]').count()).toBe(0);
  await harness.apiSend('POST', '/api/plugins/holder/release');
  expect((await elsewhere).lastResult).toBe('SUCCESS');

  // Now the leader's own run: it goes on until released, then shows its outcome.
  await page.click('[data-action="run-now"]');
  await until('the leader run to start', async () => (await running()) === 1);
  await harness.apiSend('POST', '/api/plugins/holder/release');
  const outcome = page.locator('[data-role="job-outcome"]');
  await outcome.waitFor();
  expect(await outcome.getAttribute('data-result')).toBe('SUCCESS');
  expect(await page.locator('[data-role="job-run-error"]').count()).toBe(0);
  await page.locator('[data-field="runCount"]', { hasText: '2' }).waitFor();
});

test('planner with job:read only: sees the job, and no Run now button', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'planner');
  await openJob(page, 'E2E_HOLD');
  expect(await page.locator('[data-field="handler"]').innerText()).toBe('holder.hold');
  // The detail screen decides on the panel when it renders the record, so the field above means it has.
  expect(await page.locator('[data-action="run-now"]').count()).toBe(0);
  expect(await page.locator('[data-role="job-run"]').count()).toBe(0);
});
