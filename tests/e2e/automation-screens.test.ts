/**
 * The bell and the task inbox in the browser: an alert assigned to the signed-in user shows in the
 * bell's count; the bell leads to My tasks, which lists it with the countdown of its escalation SLA.
 * An inspector finds an engineering problem waiting for their role's action in My tasks, opens it
 * from there and performs the action; the inbox is accessible (axe-core: no serious or critical
 * violation).
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { engineeringProblemContent } from '../support/engineering-problem';
import {
  DEMO_PASSWORD,
  openApp,
  signInThroughLogin,
  startHarness,
  type BrowserHarness,
} from './browser-harness';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  // Four users sign in over the API besides the browser's.
  starting = startHarness(undefined, { MES_RATE_LIMIT_LOGIN: '100' });
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

/** `method /api/...` as a demo user, unwrapped from the envelope (sets up what the browser finds). */
async function as<T>(username: string, method: string, path: string, body?: unknown): Promise<T> {
  const login = await fetch(`${harness.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const { accessToken } = ((await login.json()) as { data: { accessToken: string } }).data;
  const response = await fetch(`${harness.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} as ${username}: ${response.status} ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

/** axe-core on the current screen: serious and critical violations, by rule and target. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated, not added as a script tag: the app's Content-Security-Policy refuses inline scripts.
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(AXE_SOURCE);
  await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
  return page.evaluate<string[]>(`axe.run({ resultTypes: ['violations'] }).then((result) =>
    result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
}

test('an inspector finds a workflow action of their role in My tasks and performs it from there', async () => {
  // The analyst's Engineering Problem, published by a reviewer; an operator reports one and starts
  // its analysis, naming the inspector owner: resolving it now waits for the inspectors' role.
  const draft = await as<{ id: number; version: number }>('analyst', 'POST', '/api/studio/change-sets', {
    title: 'Engineering problems (inbox)',
    content: engineeringProblemContent(),
  });
  const submitted = await as<{ record: { version: number } }>(
    'analyst',
    'POST',
    `/api/studio/change-sets/${draft.id}/actions/submit`,
    { version: draft.version },
  );
  await as('reviewer', 'POST', `/api/studio/change-sets/${draft.id}/publish`, {
    version: submitted.record.version,
  });
  const problem = await as<{ id: number; version: number }>('operator', 'POST', '/api/engineering-problems', {
    title: 'Housing cracks at the boss',
    severity: 'HIGH',
    dueDate: '2026-12-24',
  });
  const inspector = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/users?filter[username][eq]=inspector')
  ).items[0]!;
  await as('operator', 'POST', `/api/engineering-problems/${problem.id}/actions/analyse`, {
    version: problem.version,
    fields: { ownerId: inspector.id },
  });

  const { page } = harness;
  await signInThroughLogin(harness, 'inspector');

  // Through the bell to My tasks: the problem waits in the table of the role's actions.
  await page.click('[data-action="notifications"]');
  await page.click('[data-action="open-inbox"]');
  await page.waitForURL(/\/inbox$/);
  const row = page.locator('[data-table="actions"] .el-table__row', {
    hasText: 'Housing cracks at the boss',
  });
  await row.waitFor();
  expect(
    await row
      .locator('[data-task-action]')
      .evaluateAll((tags) => tags.map((t) => t.getAttribute('data-task-action'))),
  ).toEqual(['resolve']);
  expect(await row.innerText()).toContain('IN_ANALYSIS');
  expect(await seriousViolations(page)).toEqual([]);

  // Opened from the inbox, the record offers the action; performing it moves the problem on.
  await row.locator('a').click();
  await page.waitForURL(new RegExp(`/e/engineering-problems/${problem.id}$`));
  await page.click('[data-workflow-action="resolve"]');
  await page.locator('.el-dialog:visible [data-action="confirm-action"]').click();
  await page.waitForSelector('[data-role="state"][data-state="RESOLVED"]');
  expect(await page.locator('[data-role="history"]').innerText()).toContain('inspector');

  // Back in My tasks the problem waits for the next action of the role: closing it.
  await page.click('[data-action="notifications"]');
  await page.click('[data-action="open-inbox"]');
  await page.waitForURL(/\/inbox$/);
  await row.locator('[data-task-action="close"]').waitFor();
  expect(await row.innerText()).toContain('RESOLVED');
});
