/**
 * `npm run bench:ui`: the browser app's weight and speed as a plant user on a modest tablet gets it —
 * Chromium with a 4× CPU slowdown on a 10 Mbit/s, 40 ms network. Bytes on the wire (compressed, as
 * the server sends them) of the JS and CSS a first load of the work-order list fetches, against a
 * 300 KB budget; time from navigation to the list showing 20 rows, on a cold cache (≤ 2.5 s) and on
 * reload (median of 5, ≤ 1.2 s); and how many API requests start-up makes before the list's, and
 * whether they ran in parallel. Results are ratios to those ceilings.
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
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 40,
    downloadThroughput: 10 * MBIT,
    uploadThroughput: 10 * MBIT,
  });
  return cdp;
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
    // Sign in unthrottled, then clear the HTTP cache: the cold load has a session but no cached asset.
    await signIn(harness);
    const cdp = await throttle(page);
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
      `JS + CSS of the first load on the wire: ${wireKb.toFixed(1)} KB in ${assets.length} files (budget ${WIRE_BUDGET_KB} KB, ratio ${(wireKb / WIRE_BUDGET_KB).toFixed(2)})`,
      `work-order list with 20 rows, cold cache: ${cold.toFixed(0)} ms (ceiling ${COLD_CEILING_MS} ms, ratio ${(cold / COLD_CEILING_MS).toFixed(2)})`,
      `work-order list with 20 rows, reload median of ${RUNS}: ${reload.toFixed(0)} ms (ceiling ${RELOAD_CEILING_MS} ms, ratio ${(reload / RELOAD_CEILING_MS).toFixed(2)})`,
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
