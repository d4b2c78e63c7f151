/**
 * A working day of each demo role in the browser, signed in as that role: the planner releases an
 * order, the operator starts one on a 768 px tablet with a scanner, the inspector records an
 * inspection (picking the inspector without user:read), the clerk reaches the stock transactions,
 * the administrator invites a user, looks at plugins and roles and runs a scheduled job now. Access
 * tokens live a few seconds here, so every step also runs across silent token refreshes. Any console
 * error or failed request the test did not expect fails it, and axe-core must find no serious or
 * critical violation.
 */
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import type PdfKit from 'pdfkit';
import type { Page } from 'playwright-core';
import {
  choose,
  DEMO_PASSWORD,
  signInThroughLogin,
  startHarness,
  type BrowserHarness,
} from './browser-harness';

const DESKTOP = { width: 1366, height: 860 };
const TABLET = { width: 768, height: 1024 };
/** Short-lived access tokens: the walk crosses many expiries, each renewed silently. */
const ACCESS_TOKEN_SECONDS = 6;
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;
const problems: string[] = [];
/** 401 answers that a refresh then followed: an expired access token, renewed silently. */
let expiredTokens = 0;
let refreshes = 0;

beforeAll(async () => {
  starting = startHarness(DESKTOP, {
    MES_ACCESS_TOKEN_SECONDS: String(ACCESS_TOKEN_SECONDS),
    // Five roles sign in, and the test's own API client signs in again whenever its token expired.
    MES_RATE_LIMIT_LOGIN: '100',
  });
  harness = await starting;
  watch(harness.page);
}, 120_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

afterEach(async () => {
  await harness.page.setViewportSize(DESKTOP);
  const found = problems.splice(0);
  expect(found).toEqual([]);
});

/** Records console errors and failed requests; an expired token's 401 is expected, a failed refresh is not. */
function watch(page: Page): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Failed responses are judged below, by URL and status.
    if (message.text().startsWith('Failed to load resource')) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // Navigating away cancels what the previous screen still had in flight.
    if (!/ERR_ABORTED/.test(reason)) problems.push(`request failed: ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    const url = response.url();
    if (url.endsWith('/api/auth/refresh')) {
      if (response.ok()) refreshes++;
      else problems.push(`refresh failed: ${response.status()}`);
    } else if (response.status() === 401) expiredTokens++;
    // The shop floor asks each entity whether a scanned code is one of its records.
    else if (response.status() === 404 && url.includes('/by-code/')) return;
    else if (response.status() >= 400) problems.push(`${response.status()} ${url}`);
  });
}

async function signInAs(username: string, path: string): Promise<void> {
  const { page } = harness;
  await signInThroughLogin(harness, username);
  await page.goto(`${harness.baseUrl}${path}`);
  await page.waitForSelector('.mes-shell');
}

/** axe-core on the current screen: serious and critical violations, by rule and target. */
async function accessibilityViolations(page: Page, dialogOpen = false): Promise<string[]> {
  // Evaluated, not added as a script tag: the app's Content-Security-Policy refuses inline scripts.
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(AXE_SOURCE);
  // Judge the screen at rest: a closing dialog or a fading tag is half transparent mid-transition.
  await page
    .locator(dialogOpen ? '.is-closing' : '.el-overlay:visible, .is-closing')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
  await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
  return page.evaluate<string[]>(`axe.run({ resultTypes: ['violations'] }).then((result) =>
    result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
}

async function expectAccessible(page: Page, dialogOpen = false): Promise<void> {
  expect(await accessibilityViolations(page, dialogOpen)).toEqual([]);
}

/** A PNG of `width` × `height` pixels in bands of colour, encoded here (zlib only). */
function drawingPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(x % 60 < 30 ? 40 : 200, (y * 2) % 256, 120);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF with a line of text, written by the same library the server prints with. */
function travellerPdf(text: string): Promise<Buffer> {
  const PdfDocument = require('pdfkit') as typeof PdfKit;
  const doc = new PdfDocument({ size: 'A5' });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  doc.fontSize(18).text(text);
  doc.end();
  return new Promise((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
}

/** Waits until the session's access token has expired, so the next request must renew it. */
async function waitForTokenExpiry(page: Page): Promise<void> {
  const expiresAt = async (): Promise<number> => {
    const stored = await page.evaluate<string | null>("localStorage.getItem('mes.session')");
    const token = (JSON.parse(stored ?? '{}') as { accessToken?: string }).accessToken ?? '';
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as {
      exp?: number;
    };
    return (claims.exp ?? 0) * 1000;
  };
  const deadline = Date.now() + (ACCESS_TOKEN_SECONDS + 5) * 1000;
  while ((await expiresAt()) > Date.now() - 1000) {
    if (Date.now() > deadline) throw new Error('the access token did not expire');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function pick(page: Page, selector: string, search: string, option: string): Promise<void> {
  await page.click(selector);
  await page.keyboard.type(search);
  const choice = page.locator('.el-select-dropdown__item:visible', { hasText: option }).first();
  await choice.waitFor();
  await choice.click();
  await choice.waitFor({ state: 'hidden' });
}

test('planner: the work-order list and detail show names and labels; a draft is released by a labelled button', async () => {
  const { page } = harness;
  await signInAs('planner', '/e/work-orders');
  await page.waitForSelector('.mes-list-table .el-table__row');
  const table = await page.locator('.mes-list-table').innerText();
  expect(table).toMatch(/Draft|Released|Completed/);
  expect(table).not.toMatch(/\bDRAFT\b|\bRELEASED\b|\[object Object\]/);
  expect(await page.locator('[data-action="create"]').count()).toBe(1);
  await harness.docScreenshot('ui-work-orders');
  await expectAccessible(page);

  const draft = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/work-orders?filter[status][eq]=DRAFT&pageSize=1')
  ).items[0]!;
  await page.goto(`${harness.baseUrl}/e/work-orders/${draft.id}`);
  const release = page.locator('[data-workflow-action="release"]');
  await release.waitFor();
  expect(await release.innerText()).toBe('Release work order');
  // The token runs out while the planner reads: the release renews it and goes through.
  await waitForTokenExpiry(page);
  await release.click();
  await page.click('[data-action="confirm-action"]');
  await page.waitForSelector('[data-role="state"][data-state="RELEASED"]');
  const history = await page.locator('[data-role="history"]').innerText();
  expect(history).toContain('Release: Draft → Released');
  expect(history).toContain('planner');
  expect(await page.locator('.mes-detail-title').innerText()).not.toContain('[object Object]');
  await harness.docScreenshot('ui-work-order-detail');
  await expectAccessible(page);
  expect(refreshes).toBeGreaterThan(0);
  expect(expiredTokens).toBeGreaterThan(0);
  expect(await page.locator('[data-role="session-lock"]:visible').count()).toBe(0);
});

test('planner: reaches a screen through the side menu with the keyboard alone', async () => {
  const { page } = harness;
  await signInAs('planner', '/');
  const focused = () =>
    page.evaluate<{ text: string; inMenu: boolean }>(
      "({ text: document.activeElement?.textContent?.trim() ?? '', inMenu: !!document.activeElement?.closest('.mes-aside') })",
    );
  const moveDownTo = async (text: string) => {
    for (let step = 0; step < 12 && (await focused()).text !== text; step++)
      await page.keyboard.press('ArrowDown');
    expect(await focused()).toEqual({ text, inMenu: true });
  };

  // From the top: the skip link, then the menu's one tab stop (no screen of its own open: the first entry).
  await page.keyboard.press('Tab');
  expect((await focused()).inMenu).toBe(false);
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ text: 'Shop floor', inMenu: true });
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ text: 'Shop floor', inMenu: true });

  // A group never opened opens with Enter and takes the focus into its entries; Left goes back to it.
  await moveDownTo('Production');
  const schedule = page.locator('.mes-aside .el-menu-item', { hasText: 'Work order schedule' });
  expect(await schedule.count()).toBe(0);
  await page.keyboard.press('Enter');
  expect(await focused()).toEqual({ text: 'Engineering', inMenu: true });
  await page.keyboard.press('ArrowLeft');
  expect(await focused()).toEqual({ text: 'Production', inMenu: true });
  await page.keyboard.press('ArrowRight');
  await moveDownTo('Work order schedule');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/e\/work-orders\/schedule$/);
  await page.locator('.mes-schedule-title').waitFor();

  // The entry followed stays the menu's tab stop; Tab leaves the menu for the header.
  expect(await focused()).toEqual({ text: 'Work order schedule', inMenu: true });
  await page.keyboard.press('Tab');
  expect((await focused()).inMenu).toBe(false);
  await expectAccessible(page);
});

test('planner: the board shows work orders by state; dropping a draft on Released releases it', async () => {
  const { page } = harness;
  await signInAs('planner', '/e/work-orders');
  await page.click('[data-action="board"]');
  await page.waitForSelector('[data-role="board"] [data-card]');
  const draft = page.locator('[data-column="DRAFT"] [data-card]').first();
  const id = await draft.getAttribute('data-card');
  await harness.docScreenshot('ui-work-order-board');
  await expectAccessible(page);
  // The drag events themselves: the board reacts to dragstart on a card and drop on a column.
  const dataTransfer = await page.evaluateHandle('new DataTransfer()');
  await draft.dispatchEvent('dragstart', { dataTransfer });
  await page.locator('[data-column="RELEASED"]').dispatchEvent('drop', { dataTransfer });
  await page.click('[data-action="confirm-action"]');
  await page.waitForSelector(`[data-column="RELEASED"] [data-card="${id}"]`);
  const order = await harness.apiGet<{ status: string }>(`/api/work-orders/${id}`);
  expect(order.status).toBe('RELEASED');
});

/** Shaded stretches of a fortnight on a weekday 06-22 calendar: at least the nights and two weekends. */
const DAYS_SHADED = 10;

/** `YYYY-MM-DD` of a local date, as the schedule names its day columns. */
function localDay(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

test('planner: reaches the schedule from the menu, drags an order to another day; a cancelled one is refused', async () => {
  const { page } = harness;
  const [item] = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/items?pageSize=1&filter[itemType][eq]=FINISHED')
  ).items;
  const [line] = (
    await harness.apiGet<{ items: { id: number; lineName: string }[] }>('/api/production-lines?pageSize=1')
  ).items;
  // This week's Tuesday 08:00 to Wednesday 16:00, local time, as the schedule shows the week from Monday.
  const monday = new Date();
  monday.setHours(0, 0, 0, 0);
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  const at = (days: number, hours: number): Date =>
    new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + days, hours);
  const order = (remarks: string) =>
    harness.apiSend<{ id: number; woNo: string }>('POST', '/api/work-orders', {
      itemId: item!.id,
      lineId: line!.id,
      plannedQuantity: 5,
      plannedStart: at(1, 8).toISOString(),
      plannedEnd: at(2, 16).toISOString(),
      remarks,
    });
  const movable = await order('schedule: moved by the planner');
  const cancelled = await order('schedule: cancelled, its dates fixed');
  await harness.apiSend('POST', `/api/work-orders/${cancelled.id}/actions/cancel`, {
    reason: 'customer withdrew',
    fields: { cancelReason: 'customer withdrew' },
  });

  await signInAs('planner', '/');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Production")');
  await page.click('.mes-aside .el-menu-item:has-text("Work order schedule")');
  await page.waitForURL(/\/e\/work-orders\/schedule$/);
  const lane = page.locator(`[data-lane="${line!.lineName}"]`);
  const bar = lane.locator(`[data-bar="${movable.woNo}"]`);
  await bar.waitFor();
  await harness.docScreenshot('ui-work-order-schedule');
  await expectAccessible(page);

  // Onto Thursday: the start moves two days, the end with it, times of day kept.
  const dataTransfer = await page.evaluateHandle('new DataTransfer()');
  await bar.dispatchEvent('dragstart', { dataTransfer });
  await lane.locator(`[data-day="${localDay(at(3, 0))}"]`).dispatchEvent('drop', { dataTransfer });
  await page.locator('.el-message--success', { hasText: `${movable.woNo} rescheduled` }).waitFor();
  const moved = await harness.apiGet<{ plannedStart: string; plannedEnd: string }>(
    `/api/work-orders/${movable.id}`,
  );
  expect(new Date(moved.plannedStart).getTime()).toBe(at(3, 8).getTime());
  expect(new Date(moved.plannedEnd).getTime()).toBe(at(4, 16).getTime());

  // A cancelled order's dates may no longer change: the engine refuses, the screen says so.
  const fixed = lane.locator(`[data-bar="${cancelled.woNo}"]`);
  await fixed.dispatchEvent('dragstart', { dataTransfer });
  await lane.locator(`[data-day="${localDay(at(4, 0))}"]`).dispatchEvent('drop', { dataTransfer });
  await page.locator('.el-message--error', { hasText: `${cancelled.woNo} was not rescheduled` }).waitFor();
  const refusal = problems.findIndex((p) => p.endsWith(`/api/work-orders/${cancelled.id}`));
  expect(refusal).toBeGreaterThanOrEqual(0);
  problems.splice(refusal, 1);
  const unchanged = await harness.apiGet<{ plannedStart: string }>(`/api/work-orders/${cancelled.id}`);
  expect(new Date(unchanged.plannedStart).getTime()).toBe(at(1, 8).getTime());
});

test("planner: the schedule shades the lines' non-working time, refuses a drop into it and moves an order to another line", async () => {
  const { page } = harness;
  const [item] = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/items?pageSize=1&filter[itemType][eq]=FINISHED')
  ).items;
  // A plant on this machine's clock working Monday to Friday, 06:00 to 22:00, with two lines.
  const shift = await harness.apiSend<{ id: number }>('POST', '/api/shifts', {
    shiftCode: 'E2E-LONG',
    shiftName: 'Long day',
    startTime: '06:00',
    endTime: '22:00',
    breakMinutes: 0,
  });
  const calendar = await harness.apiSend<{ id: number }>('POST', '/api/calendars', {
    calendarCode: 'E2E-CAL',
    calendarName: 'Weekdays 06-22',
    year: new Date().getFullYear(),
    workingWeekdays: [1, 2, 3, 4, 5],
    defaultShiftsIds: [shift.id],
  });
  const plant = await harness.apiSend<{ id: number }>('POST', '/api/plants', {
    plantCode: 'E2E-CAL',
    plantName: 'Calendar plant',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    calendarId: calendar.id,
  });
  const line = (code: string, name: string) =>
    harness.apiSend<{ id: number }>('POST', '/api/production-lines', {
      lineCode: code,
      lineName: name,
      plantId: plant.id,
    });
  const lineA = await line('CALA', 'Calendar line A');
  const lineB = await line('CALB', 'Calendar line B');
  const monday = new Date();
  monday.setHours(0, 0, 0, 0);
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  const at = (days: number, hours: number): Date =>
    new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + days, hours);
  const order = (remarks: string) =>
    harness.apiSend<{ id: number; woNo: string; version: number }>('POST', '/api/work-orders', {
      itemId: item!.id,
      lineId: lineA.id,
      plannedQuantity: 5,
      plannedStart: at(1, 8).toISOString(),
      plannedEnd: at(2, 16).toISOString(),
      remarks,
    });
  const movable = await order('schedule: moved to another line');
  const cancelled = await order('schedule: cancelled, its line fixed');
  await harness.apiSend('POST', `/api/work-orders/${cancelled.id}/actions/cancel`, {
    reason: 'customer withdrew',
    fields: { cancelReason: 'customer withdrew' },
  });
  // The engine itself refuses a start on Saturday, whoever asks.
  await expect(
    harness.apiSend('PATCH', `/api/work-orders/${movable.id}`, {
      plannedStart: at(5, 8).toISOString(),
      version: movable.version,
    }),
  ).rejects.toThrow(/422 The planned start or end falls in non-working time/);

  await signInAs('planner', '/');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Production")');
  await page.click('.mes-aside .el-menu-item:has-text("Work order schedule")');
  await page.waitForURL(/\/e\/work-orders\/schedule$/);
  const laneA = page.locator('[data-lane="Calendar line A"]');
  const laneB = page.locator('[data-lane="Calendar line B"]');
  const bar = laneA.locator(`[data-bar="${movable.woNo}"]`);
  await bar.waitFor();
  // Evenings, nights and the weekend are shaded on both lines, though line B has no order yet.
  await laneB.locator('[data-off]').first().waitFor();
  expect(await laneA.locator('[data-off]').count()).toBeGreaterThanOrEqual(DAYS_SHADED);
  await bar.scrollIntoViewIfNeeded();
  await harness.docScreenshot('ui-work-order-schedule-calendar');
  await expectAccessible(page);

  // Onto Saturday: refused on the screen, before anything is sent.
  const dataTransfer = await page.evaluateHandle('new DataTransfer()');
  await bar.dispatchEvent('dragstart', { dataTransfer });
  await laneA.locator(`[data-day="${localDay(at(5, 0))}"]`).dispatchEvent('drop', { dataTransfer });
  await page
    .locator('.el-message--error', { hasText: `${movable.woNo} was not rescheduled` })
    .filter({ hasText: 'non-working time on Calendar line A' })
    .waitFor();
  const kept = await harness.apiGet<{ plannedStart: string; lineId: number }>(
    `/api/work-orders/${movable.id}`,
  );
  expect(new Date(kept.plannedStart).getTime()).toBe(at(1, 8).getTime());

  // Onto Thursday of line B: the line and the dates change in one update.
  await bar.dispatchEvent('dragstart', { dataTransfer });
  await laneB.locator(`[data-day="${localDay(at(3, 0))}"]`).dispatchEvent('drop', { dataTransfer });
  await page
    .locator('.el-message--success', { hasText: `${movable.woNo} moved to Calendar line B` })
    .waitFor();
  await laneB.locator(`[data-bar="${movable.woNo}"]`).waitFor();
  const moved = await harness.apiGet<{ plannedStart: string; plannedEnd: string; lineId: number }>(
    `/api/work-orders/${movable.id}`,
  );
  expect(moved.lineId).toBe(lineB.id);
  expect(new Date(moved.plannedStart).getTime()).toBe(at(3, 8).getTime());
  expect(new Date(moved.plannedEnd).getTime()).toBe(at(4, 16).getTime());

  // A cancelled order keeps its line: the workflow refuses, the screen says so.
  const fixed = laneA.locator(`[data-bar="${cancelled.woNo}"]`);
  await fixed.dispatchEvent('dragstart', { dataTransfer });
  await laneB.locator(`[data-day="${localDay(at(1, 0))}"]`).dispatchEvent('drop', { dataTransfer });
  await page.locator('.el-message--error', { hasText: `${cancelled.woNo} was not rescheduled` }).waitFor();
  const refusal = problems.findIndex((p) => p.endsWith(`/api/work-orders/${cancelled.id}`));
  expect(refusal).toBeGreaterThanOrEqual(0);
  problems.splice(refusal, 1);
  const unchanged = await harness.apiGet<{ lineId: number }>(`/api/work-orders/${cancelled.id}`);
  expect(unchanged.lineId).toBe(lineA.id);
});

test('planner in the dark theme: list, board, schedule, detail, form and dashboard keep 4.5:1 contrast', async () => {
  const { page } = harness;
  await signInAs('planner', '/e/work-orders');
  await page.evaluate("localStorage.setItem('mes.theme', 'dark')");
  const screens: [string, string][] = [
    ['/e/work-orders', '.mes-list-table .el-table__row'],
    ['/e/work-orders/board', '[data-role="board"] [data-card]'],
    ['/e/work-orders/schedule', '[data-role="schedule"]'],
    ['/e/work-orders/new', '#mes-entity-form'],
    ['/dashboards/production', '[data-view="dashboard"] .mes-kpi-value'],
  ];
  const order = (await harness.apiGet<{ items: { id: number }[] }>('/api/work-orders?pageSize=1')).items[0]!;
  screens.push([`/e/work-orders/${order.id}`, '.mes-detail-title']);
  const violations: string[] = [];
  for (const [path, ready] of screens) {
    await page.goto(`${harness.baseUrl}${path}`);
    await page.waitForSelector('html.dark');
    await page.waitForSelector(ready);
    violations.push(...(await accessibilityViolations(page)).map((v) => `${path} ${v}`));
  }
  await harness.docScreenshot('ui-work-order-detail-dark');
  await page.evaluate("localStorage.setItem('mes.theme', 'light')");
  expect(violations).toEqual([]);
}, 180_000);

test('planner: opens an order from the list, attaches a drawing and comments on it', async () => {
  const { page } = harness;
  await signInAs('planner', '/e/work-orders');
  const link = page.locator('.mes-list-table .el-table__row a').first();
  await link.waitFor();
  const woNo = (await link.innerText()).trim();
  await link.click();
  await page.waitForSelector('[data-role="attachments"]');
  const chooser = page.waitForEvent('filechooser');
  await page.click('[data-action="choose-file"]');
  await (
    await chooser
  ).setFiles({
    name: `${woNo}-drawing.pdf`,
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4 assembly drawing'),
  });
  const attached = page.locator(`[data-attachment="${woNo}-drawing.pdf"]`);
  await attached.waitFor();
  expect(await attached.innerText()).toContain('Production planner');
  const download = page.waitForEvent('download');
  await attached.locator('[data-action="download"]').click();
  expect((await download).suggestedFilename()).toBe(`${woNo}-drawing.pdf`);

  await page.fill('[data-role="comments"] textarea', 'Fixture 3 goes to the tool room after this order');
  await page.click('[data-action="comment"]');
  const comment = page.locator('[data-role="comments"] [data-comment]').last();
  await comment.waitFor();
  expect(await comment.innerText()).toContain('Fixture 3 goes to the tool room after this order');
  expect(await comment.innerText()).toContain('Production planner');
  await harness.docScreenshot('ui-work-order-attachments');
  await expectAccessible(page);

  // After a reload the thread and the file are still there, from the server.
  await page.reload();
  await page.locator(`[data-attachment="${woNo}-drawing.pdf"]`).waitFor();
  expect(await page.locator('[data-role="comments"]').innerText()).toContain(
    'Fixture 3 goes to the tool room',
  );
});

test('planner: previews an attached drawing and a PDF in the app, fetched through the download route', async () => {
  const { page } = harness;
  await signInAs('planner', '/e/work-orders');
  const link = page.locator('.mes-list-table .el-table__row a').first();
  await link.waitFor();
  const woNo = (await link.innerText()).trim();
  await link.click();
  await page.waitForSelector('[data-role="attachments"]');
  const attach = async (name: string, mimeType: string, buffer: Buffer) => {
    const chooser = page.waitForEvent('filechooser');
    await page.click('[data-action="choose-file"]');
    await (await chooser).setFiles({ name, mimeType, buffer });
    await page.locator(`[data-attachment="${name}"]`).waitFor();
  };
  await attach(`${woNo}-fixture.png`, 'image/png', drawingPng(240, 120));
  await attach(`${woNo}-traveller.pdf`, 'application/pdf', await travellerPdf(`Traveller ${woNo}`));
  // Only images and PDFs offer a preview.
  await attach(`${woNo}-notes.txt`, 'text/plain', Buffer.from('torque 4 Nm'));
  expect(await page.locator(`[data-attachment="${woNo}-notes.txt"] [data-action="preview"]`).count()).toBe(0);

  const fetched = () =>
    page.waitForResponse((r) => /\/api\/work-orders\/\d+\/attachments\/\d+$/.test(r.url()) && r.ok());
  let download = fetched();
  await page.locator(`[data-attachment="${woNo}-fixture.png"] [data-action="preview"]`).click();
  await download;
  const image = page.locator('.el-dialog [data-preview="image"]');
  await image.waitFor();
  // Decoded, not merely inserted: the object URL carried the PNG the server sent.
  await page.waitForFunction(
    "document.querySelector('.el-dialog [data-preview=image]')?.complete && document.querySelector('.el-dialog [data-preview=image]').naturalWidth > 0",
  );
  expect(await image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(240);
  expect(await image.getAttribute('alt')).toBe(`${woNo}-fixture.png`);
  await harness.docScreenshot('ui-attachment-preview');
  await expectAccessible(page, true);
  await page.keyboard.press('Escape');
  await image.waitFor({ state: 'hidden' });

  download = fetched();
  await page.locator(`[data-attachment="${woNo}-traveller.pdf"] [data-action="preview"]`).click();
  expect((await download).headers()['content-type']).toBe('application/pdf');
  const frame = page.locator('.el-dialog [data-preview="pdf"]');
  await frame.waitFor();
  expect(await frame.getAttribute('src')).toMatch(/^blob:/);
  expect(await frame.getAttribute('title')).toBe(`${woNo}-traveller.pdf`);
  await expectAccessible(page, true);
  await page.keyboard.press('Escape');
  await frame.waitFor({ state: 'hidden' });
}, 180_000);

test('planner: an unknown address shows a not-found screen, not a blank page', async () => {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/no/such/screen`);
  await page.waitForSelector('[data-role="not-found"]');
  await harness.docScreenshot('ui-not-found');
  await expectAccessible(page);
});

test('operator on a 768 px tablet: scans a work order of their line and sees who may do what', async () => {
  const { page } = harness;
  const released = (
    await harness.apiGet<{ items: { id: number; woNo: string; lineId: number }[] }>(
      '/api/work-orders?filter[status][eq]=RELEASED&pageSize=1',
    )
  ).items[0]!;
  const operator = (
    await harness.apiGet<{ items: { id: number; version: number }[] }>(
      '/api/users?filter[username][eq]=operator',
    )
  ).items[0]!;
  await harness.apiSend('PATCH', `/api/users/${operator.id}`, {
    linesIds: [released.lineId],
    version: operator.version,
  });

  await page.setViewportSize(TABLET);
  await signInAs('operator', '/e/work-orders');
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(await page.locator('[data-action="create"]').count()).toBe(0);
  expect(await page.locator('[data-action="open-import"]').count()).toBe(0);

  await page.goto(`${harness.baseUrl}/shop-floor`);
  await page.waitForSelector('input[name="scan-code"]');
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.keyboard.type(released.woNo);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-entity="work_order"] [data-state="RELEASED"]');
  // Names of relations the operator may not read arrive through the lookup, just after the record.
  await page
    .locator('.mes-shop-facts')
    .first()
    .locator('dd', { hasText: /^#\d+$/ })
    .first()
    .waitFor({ state: 'detached' });
  const facts = await page.locator('.mes-shop-facts').first().innerText();
  expect(facts).not.toMatch(/#\d+|\bRELEASED\b/);
  expect(await page.locator('[data-workflow-action="start"]').count()).toBe(1);
  await harness.docScreenshot('ui-shop-floor-tablet');
  await expectAccessible(page);
});

test('inspector: records an inspection, picking the inspector from a lookup without user:read', async () => {
  const { page } = harness;
  const lot = (await harness.apiGet<{ items: { lotNo: string }[] }>('/api/production-lots?pageSize=1'))
    .items[0]!;
  await signInAs('inspector', '/e/inspections/new');
  await page.waitForSelector('#inspection__inspectorId');
  // Enum values read as words, not codes, in an Element Plus select.
  await pick(page, '#inspection__refType', 'Lot', 'Lot');
  await page.fill('#inspection__refId', lot.lotNo);
  await pick(page, '#inspection__inspectorId', 'inspect', 'Quality inspector');
  // The date and time go through the Element Plus picker, typed as a person would; its open
  // calendar is a dialog with a name.
  await page.click('#inspection__inspectionDate');
  await page.locator('.el-picker-panel:visible').waitFor();
  await expectAccessible(page);
  await page.fill('#inspection__inspectionDate', '2026-12-01 09:30');
  await page.press('#inspection__inspectionDate', 'Enter');
  await page
    .locator('.el-picker-panel:visible')
    .waitFor({ state: 'hidden' })
    .catch(() => undefined);
  await harness.docScreenshot('ui-inspection-form');
  await expectAccessible(page);
  await page.click('[data-action="save"]');
  await page.waitForURL(/\/e\/inspections\/\d+$/);
  await page.waitForSelector('[data-field="inspector"]');
  expect(await page.locator('[data-field="inspector"]').innerText()).toBe('Quality inspector (inspector)');
  expect(await page.locator('[data-action="delete"]').count()).toBe(0);
  expect(await page.locator('[data-field="refType"]').innerText()).toBe('Lot');
  expect(await page.locator('[data-field="inspectionDate"]').innerText()).toMatch(/Dec 1, 2026/);
});

test('clerk: reaches stock transactions through the menu and may record one; stock itself offers no New', async () => {
  const { page } = harness;
  await signInAs('clerk', '/');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Inventory")');
  await page.click('.mes-aside .el-menu-item:has-text("Stock transactions")');
  await page.waitForURL(/\/e\/stock-transactions$/);
  await page.waitForSelector('[data-action="create"]');
  await harness.docScreenshot('ui-clerk-stock-transactions');
  await page.click('[data-action="create"]');
  await page.waitForSelector('#stock_transaction__itemId');
  expect(await page.locator('#stock_transaction__itemId').isDisabled()).toBe(false);
  await page.goto(`${harness.baseUrl}/e/stock`);
  await page.waitForSelector('.mes-list-table');
  expect(await page.locator('[data-action="create"]').count()).toBe(0);
});

test('admin: invites a new user by a one-time link, the user sets a password; plugins and role access show', async () => {
  const { page } = harness;
  const department = (await harness.apiGet<{ items: { id: number }[] }>('/api/departments?pageSize=1'))
    .items[0]!;
  const user = await harness.apiSend<{ id: number }>('POST', '/api/users', {
    username: 'e2e.invited',
    realName: 'Invited operator',
    departmentId: department.id,
  });
  await signInAs('admin', `/e/users/${user.id}`);
  await page.waitForSelector('[data-role="user-account"]');
  await page.click('[data-action="invite"]');
  const link = await page.locator('[data-role="password-link"] input').inputValue();
  expect(link).toContain('/set-password?token=');
  await harness.docScreenshot('ui-user-invitation');
  await expectAccessible(page);

  await page.goto(link);
  await page.fill('#set-password', 'Invited-Shift-2026!');
  await page.fill('#set-password-repeat', 'Invited-Shift-2026!');
  await page.click('[data-action="save-password"]');
  await page.waitForSelector('.el-result');
  await harness.docScreenshot('ui-set-password');
  const login = await fetch(`${harness.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'e2e.invited', password: 'Invited-Shift-2026!' }),
  });
  expect(login.status).toBe(200);

  await page.goto(`${harness.baseUrl}/admin/plugins`);
  await page.waitForSelector('[data-role="plugins"] .el-table__row');
  expect(await page.locator('[data-role="plugins"]').innerText()).toContain('procurement');
  await harness.docScreenshot('ui-plugins');
  await expectAccessible(page);

  const role = (
    await harness.apiGet<{ items: { id: number }[] }>('/api/roles?filter[roleCode][eq]=quality_inspector')
  ).items[0]!;
  await page.goto(`${harness.baseUrl}/e/roles/${role.id}`);
  await page.waitForSelector('[data-role="role-access"] .el-table__row');
  expect(await page.locator('[data-role="role-access"]').innerText()).toContain('Inspection');
  await harness.docScreenshot('ui-role-access');
});

test('admin: reaches the scheduled jobs from the menu and runs the audit sealing job now', async () => {
  const { page } = harness;
  await harness.apiSend('POST', '/api/jobs', {
    jobCode: 'E2E_AUDIT_SEAL',
    jobName: 'Seal the audit trail (e2e)',
    handler: 'audit.seal',
    cron: '0 3 * * *',
    status: 'PAUSED',
  });
  await signInAs('admin', '/');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Configuration")');
  await page.click('.mes-aside .el-menu-item:has-text("Scheduled jobs")');
  await page.waitForURL(/\/e\/jobs$/);
  const link = page.locator('.mes-list-table .el-table__row', { hasText: 'E2E_AUDIT_SEAL' }).locator('a');
  await link.first().click();
  await page.waitForSelector('[data-role="job-run"]');
  expect(await page.locator('[data-field="lastResult"]').innerText()).toBe('');

  await page.click('[data-action="run-now"]');
  const outcome = page.locator('[data-role="job-outcome"]');
  await outcome.waitFor();
  expect(await outcome.getAttribute('data-result')).toBe('SUCCESS');
  expect(await outcome.innerText()).toContain('Run finished: Succeeded');
  // The screen shows the record as the run left it.
  await page.locator('[data-field="lastResult"]', { hasText: 'Succeeded' }).waitFor();
  expect(await page.locator('[data-field="runCount"]').innerText()).toBe('1');
  await expectAccessible(page);
});

/** The texts of one column of the list, found by its header. */
async function listColumn(page: Page, header: string): Promise<string[]> {
  const headers = await page.locator('.mes-list-table .el-table__header th').allInnerTexts();
  const index = headers.findIndex((text) => text.trim() === header);
  if (index < 0) throw new Error(`no column "${header}" in ${JSON.stringify(headers)}`);
  return (
    await page.locator(`.mes-list-table .el-table__body tr td:nth-child(${index + 1})`).allInnerTexts()
  ).map((text) => text.trim());
}

/** `GET /api/...` as a demo user (not the admin), unwrapped from the envelope. */
async function apiGetAs<T>(username: string, path: string): Promise<T> {
  const login = await fetch(`${harness.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const { accessToken } = ((await login.json()) as { data: { accessToken: string } }).data;
  const response = await fetch(`${harness.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: T }).data;
}

test('planner: reaches the production lines from the menu and filters them by line type, labelled in English, then in Chinese', async () => {
  const { page } = harness;
  await signInAs('planner', '/');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Master data")');
  await page.click('.mes-aside .el-sub-menu__title:has-text("Plant model")');
  await page.click('.mes-aside .el-menu-item:has-text("Production lines")');
  await page.waitForURL(/\/e\/production-lines$/);
  await page.waitForSelector('.mes-list-table .el-table__row');
  const all = await listColumn(page, 'Line code');

  const filter = page.locator('[data-filter="lineType"]');
  const options = page.locator('.el-select__popper:visible .el-select-dropdown__item');
  await filter.click();
  await options.first().waitFor();
  expect(await options.allInnerTexts()).toEqual([
    'SMT (surface mount)',
    'DIP (through-hole)',
    'Assembly',
    'Test',
    'Packing',
    'Mixed',
  ]);
  await options.filter({ hasText: 'Assembly' }).click();
  await page.keyboard.press('Escape');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/production-lines?') && r.url().includes('lineType')),
    page.click('[data-action="filter"]'),
  ]);
  expect(new URL(answer.url()).searchParams.get('filter[lineType][in]')).toBe('ASSEMBLY');
  await page.waitForSelector('.mes-list-table .el-table__row');
  expect(await filter.innerText()).toContain('Assembly');

  // The planner's own API answer for the same filter is what the list shows, and it is a real subset.
  const lines = await apiGetAs<{ items: { lineCode: string; lineType: string }[] }>(
    'planner',
    '/api/production-lines?filter[lineType][in]=ASSEMBLY&pageSize=100',
  );
  const expected = lines.items.map((line) => line.lineCode).sort();
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(all.length);
  expect(new Set(lines.items.map((line) => line.lineType))).toEqual(new Set(['ASSEMBLY']));
  expect((await listColumn(page, 'Line code')).sort()).toEqual(expected);
  expect(new Set(await listColumn(page, 'Line type'))).toEqual(new Set(['Assembly']));
  await expectAccessible(page);

  // The app's language switch: filter, header and cells follow, the filter and its rows stay.
  await choose(page, page.locator('.mes-header .el-select:has([aria-label="Language"])'), '中文');
  await page.locator('.mes-list-table th', { hasText: '产线类型' }).waitFor();
  expect(await filter.innerText()).toContain('组装');
  expect((await listColumn(page, '产线编码')).sort()).toEqual(expected);
  expect(new Set(await listColumn(page, '产线类型'))).toEqual(new Set(['组装']));
  await filter.click();
  await options.first().waitFor();
  expect(await options.allInnerTexts()).toEqual(['SMT 贴片', 'DIP 插件', '组装', '测试', '包装', '混合']);
  await page.keyboard.press('Escape');
  await harness.screenshot('planner-lines-by-type-zh');

  await choose(page, page.locator('.mes-header .el-select:has([aria-label="语言"])'), 'English');
  await page.locator('.mes-list-table th', { hasText: 'Line type' }).waitFor();
});
