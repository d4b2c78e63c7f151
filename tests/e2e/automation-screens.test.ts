/**
 * The bell and the task inbox in the browser: an alert assigned to the signed-in user shows in the
 * bell's count; the bell leads to My tasks, which lists it with the countdown of its escalation SLA.
 */
import { openApp, startHarness, type BrowserHarness } from './browser-harness';

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  starting = startHarness();
  harness = await starting;
}, 180_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

test('the bell counts the tasks of the user and opens the inbox with the SLA countdown', async () => {
  const me = await harness.apiGet<{ user: { id: string } }>('/api/auth/me');
  const before = await harness.apiGet<{ counts: { total: number } }>('/api/me/tasks');
  await harness.apiSend('POST', '/api/alert-events', {
    alertType: 'EQUIPMENT',
    severity: 'CRITICAL',
    title: 'Spindle vibration high on CNC-3',
    dedupKey: 'e2e-spindle',
    firstOccurredAt: new Date().toISOString(),
    lastOccurredAt: new Date().toISOString(),
    assigneeId: Number(me.user.id),
  });
  const { page } = harness;
  await openApp(harness, '/');
  const badge = page.locator('.mes-bell .el-badge__content');
  await badge.waitFor();
  expect(Number(await badge.innerText())).toBe(before.counts.total + 1);

  await page.click('[data-action="notifications"]');
  await page.click('[data-action="open-inbox"]');
  await page.waitForURL(/\/inbox$/);
  const row = page.locator('[data-table="assigned"] .el-table__row', {
    hasText: 'Spindle vibration high on CNC-3',
  });
  await row.waitFor();
  await harness.screenshot('task-inbox');
  expect(await row.locator('[data-deadline]').innerText()).toMatch(/^0h (29|30)m$/);
  await row.locator('a').click();
  await page.waitForURL(/\/e\/alert-events\/\d+$/);
});
