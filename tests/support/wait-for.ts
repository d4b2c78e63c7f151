/**
 * Waiting for a condition instead of sleeping a fixed time: poll until it holds, fail naming what
 * was awaited once the timeout passes (generous: CI runs loaded). Only waiting — no timing is asserted.
 */
const POLL_MS = 25;
const TIMEOUT_MS = 20_000;

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = TIMEOUT_MS,
): Promise<void> {
  await waitForValue(what, async () => ((await check()) ? true : undefined), timeoutMs);
}

/** Polls `probe` until it answers a value other than undefined, and returns it. */
export async function waitForValue<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause();
  }
}
