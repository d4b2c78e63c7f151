import { setFlagsFromString } from 'node:v8';

/**
 * How far the server's V8 heap may grow past what the last full garbage collection left alive
 * before the next one starts: 25 %. Otherwise V8 picks the factor itself, up to 4× on a machine
 * with plenty of memory. Under load much of what requests allocate is promoted to the old
 * generation while the requests wait, and dies there: with V8's own factor the server's old
 * generation reached twice its live heap before it was collected. A full collection of the
 * server's heap takes about 40 ms, so collecting twice as often as at 50 % costs no measurable CPU
 * per request and keeps the peak about 20 MB lower (docs/performance.md, Heap under load).
 */
export const HEAP_GROWING_PERCENT = 25;

/**
 * Sets V8's heap growing factor for a long-running process (`mes serve`, `mes worker`); a
 * `--heap-growing-percent` given to node itself wins. V8 reads the factor at every full
 * collection, so setting it after startup applies from the next one on.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
