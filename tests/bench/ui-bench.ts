/**
 * `npm run bench:ui`: the browser app's weight and speed as a plant user on a modest tablet gets it —
 * Chromium with a 4× CPU slowdown on a 10 Mbit/s, 40 ms network. Bytes on the wire (compressed, as
 * the server sends them) of the JS and CSS a first load of the work-order list fetches, against a
 * 300 KB budget; time from navigation to the list showing 20 rows, on a cold cache (≤ 2.5 s) and on
 * reload (median of 5, ≤ 1.2 s); and how many API requests start-up makes before the list's, and
 * whether they ran in parallel. Results are ratios to those ceilings. Before that, the way a user
 * first meets the app: the sign-in page on a cold cache (bytes of every file on the wire, time until
 * its form shows), then signing in and reaching the work-order list (what that adds, and how long).
 */
import type { CDPSession, Page } from 'playwright-core';
import { DEMO_PASSWORD, startHarness, type BrowserHarness } from '../e2e/browser-harness';

const WIRE_BUDGET_KB = 300;
const COLD_CEILING_MS = 2500;
const RELOAD_CEILING_MS = 1200;
const RUNS = 5;
const TWENTIETH_ROW = '.mes-list-table .el-table__body tr:nth-child(20)';
const MBIT = 1_000_000 / 8;

async function throttle(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await setThrottling(cdp, true);
  return cdp;
}

async function setThrottling(cdp: CDPSession, on: boolean): Promise<void> {
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: on ? 4 : 1 });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: on ? 40 : 0,
    downloadThroughput: on ? 10 * MBIT : -1,
    uploadThroughput: on ? 10 * MBIT : -1,
  });
}

/** Bytes received per URL (encoded: what crossed the network), from the DevTools protocol. */
function wireBytes(cdp: CDPSession): Map<string, number> {
  const urls = new Map<string, string>();
  const bytes = new Map<string, number>();
  cdp.on('Network.responseReceived', (event) => urls.set(event.requestId, event.response.url));
  cdp.on('Network.loadingFinished', (event) => {
    const url = urls.get(event.requestId);
    if (url) bytes.set(url, (bytes.get(url) ?? 0) + event.encodedDataLength);
  });
  return bytes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function signIn(harness: BrowserHarness): Promise<void> {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell');
}

/** Kilobytes received since `from` (a copy of `bytes` taken earlier): JS and CSS, and every file. */
function received(
  bytes: Map<string, number>,
  from = new Map<string, number>(),
): { code: number; all: number; files: number } {
  let code = 0;
  let all = 0;
  let files = 0;
  for (const [url, size] of bytes) {
    const added = size - (from.get(url) ?? 0);
    if (added <= 0) continue;
    files++;
    all += added;
    if (/\.(js|css)(\?|$)/.test(url)) code += added;
  }
  return { code: code / 1024, all: all / 1024, files };
}

/**
 * The sign-in page on a cold cache until its form shows, then signing in through it to the work-order
 * list (the `next` the login page was opened with) until 20 rows show.
 */
async function firstVisit(harness: BrowserHarness, bytes: Map<string, number>): Promise<string[]> {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/login?next=/e/work-orders`);
  await page.waitForSelector('.mes-login-submit');
  const loginMs = await page.evaluate<number>('performance.now()');
  const login = received(bytes);
  const before = new Map(bytes);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', DEMO_PASSWORD);
  const start = Date.now();
  await page.click('.mes-login-submit');
  await page.waitForSelector(TWENTIETH_ROW);
  const listMs = Date.now() - start;
  const list = received(bytes, before);
  return [
    `sign-in page, cold cache: ${login.all.toFixed(1)} KB in ${login.files} files on the wire (JS + CSS ${login.code.toFixed(1)} KB), form shown after ${loginMs.toFixed(0)} ms`,
    `signing in to the work-order list with 20 rows: ${list.all.toFixed(1)} KB more in ${list.files} files (JS + CSS ${list.code.toFixed(1)} KB), ${listMs} ms`,
  ];
}

async function timeToList(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.waitForSelector(TWENTIETH_ROW);
  return page.evaluate<number>('performance.now()');
}

async function main(): Promise<void> {
  const harness = await startHarness();
  try {
    const { page } = harness;
    const listUrl = `${harness.baseUrl}/e/work-orders`;
    const cdp = await throttle(page);
    const visit = await firstVisit(harness, wireBytes(cdp));
    // Sign in again unthrottled and clear the HTTP cache: the cold load has a session but no cached asset.
    await setThrottling(cdp, false);
    await page.evaluate("localStorage.removeItem('mes.session')");
    await signIn(harness);
    await setThrottling(cdp, true);
    await cdp.send('Network.clearBrowserCache');
    const bytes = wireBytes(cdp);
    const apiStarts: { url: string; start: number; end: number }[] = [];
    page.on('requestfinished', (request) => {
      if (!request.url().includes('/api/')) return;
      const timing = request.timing();
      apiStarts.push({
        url: request.url(),
        start: timing.startTime,
        end: timing.startTime + timing.responseEnd,
      });
    });
    const cold = await timeToList(page, listUrl);
    const assets = [...bytes.entries()].filter(([url]) => /\.(js|css)(\?|$)/.test(url));
    const wireKb = assets.reduce((sum, [, size]) => sum + size, 0) / 1024;
    const startup = apiStarts.filter((r) => /\/api\/(auth\/me|meta\/entities)$/.test(r.url));
    const parallel = startup.length === 2 && startup[1]!.start < startup[0]!.end;
    const reloads: number[] = [];
    for (let run = 0; run < RUNS; run++) reloads.push(await timeToList(page, listUrl));
    const reload = median(reloads);
    const lines = [
      'Chromium, 4× CPU slowdown, 10 Mbit/s and 40 ms latency:',
      ...visit,
      `JS + CSS of the first load on the wire: ${wireKb.toFixed(1)} KB in ${assets.length} files (budget ${WIRE_BUDGET_KB} KB, ratio ${(wireKb / WIRE_BUDGET_KB).toFixed(2)})`,
      `work-order list with 20 rows, cold cache: ${cold.toFixed(0)} ms (ceiling ${COLD_CEILING_MS} ms, ratio ${(cold / COLD_CEILING_MS).toFixed(2)})`,
      `work-order list with 20 rows, reload median of ${RUNS}: ${reload.toFixed(0)} ms (ceiling ${RELOAD_CEILING_MS} ms, ratio ${(reload / RELOAD_CEILING_MS).toFixed(2)}; each: ${reloads.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
      `start-up requests (/api/auth/me, /api/meta/entities): ${parallel ? 'in parallel' : 'in sequence'}`,
    ];
    console.log(lines.join('\n'));
    if (wireKb > WIRE_BUDGET_KB || cold > COLD_CEILING_MS || reload > RELOAD_CEILING_MS || !parallel)
      process.exitCode = 1;
  } finally {
    await harness.close();
  }
}

void main();
