/**
 * `npm run bench:ui`: the browser app's weight and speed. Gzip size of the JS the first page load
 * fetches (index.html's entry and modulepreloads) and of the list route's chunks, then headless
 * Chromium's time from navigation to a list screen showing 20 work orders, cold and warm.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openApp, startHarness } from '../e2e/browser-harness';

const DIST = join(__dirname, '..', '..', '..', 'ui-runtime', 'dist');
const BUDGET_KB = 400;
const RUNS = 5;
const TWENTIETH_ROW = '.mes-list-table .el-table__body tr:nth-child(20)';

function gzipKb(file: string): number {
  return gzipSync(readFileSync(join(DIST, file))).length / 1024;
}

/** Scripts index.html loads up front: the module entry plus everything it modulepreloads. */
function initialScripts(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  return [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeToListReady(harness: Awaited<ReturnType<typeof startHarness>>): Promise<number> {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/e/work-orders`);
  await page.waitForSelector(TWENTIETH_ROW);
  return page.evaluate(() => performance.now());
}

async function main(): Promise<void> {
  const initial = initialScripts();
  const initialKb = initial.reduce((sum, file) => sum + gzipKb(file), 0);
  const allJs = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
  const totalKb = allJs.reduce((sum, file) => sum + gzipKb(join('assets', file)), 0);
  const traceKb = allJs
    .filter((f) => f.startsWith('TraceView'))
    .reduce((s, f) => s + gzipKb(join('assets', f)), 0);

  const harness = await startHarness();
  try {
    const listChunks = new Set<string>();
    harness.page.on('response', (response) => {
      const match = /\/(assets\/[^/?]+\.js)/.exec(response.url());
      if (match) listChunks.add(match[1]);
    });
    await openApp(harness, '/e/work-orders');
    await harness.page.waitForSelector(TWENTIETH_ROW);
    const cold = await harness.page.evaluate(() => performance.now());
    const listKb = [...listChunks].reduce((sum, file) => sum + gzipKb(file), 0);
    const warm: number[] = [];
    for (let run = 0; run < RUNS; run++) warm.push(await timeToListReady(harness));
    const lines = [
      `initial JS (index.html entry + preloads): ${initialKb.toFixed(1)} KB gzip (budget ${BUDGET_KB} KB) ${initialKb <= BUDGET_KB ? 'OK' : 'OVER'}`,
      `JS fetched for the list screen on a fresh load: ${listKb.toFixed(1)} KB gzip in ${listChunks.size} files`,
      `trace explorer chunk (ECharts): ${traceKb.toFixed(1)} KB gzip`,
      `all JS chunks: ${totalKb.toFixed(1)} KB gzip in ${allJs.length} files`,
      `list screen with 20 rows, first load: ${cold.toFixed(0)} ms`,
      `list screen with 20 rows, reload median of ${RUNS}: ${median(warm).toFixed(0)} ms`,
    ];
    console.log(lines.join('\n'));
    if (initialKb > BUDGET_KB) process.exitCode = 1;
  } finally {
    await harness.close();
  }
}

void main();
