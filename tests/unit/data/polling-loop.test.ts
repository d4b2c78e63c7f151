import { PollingLoop } from '../../../platform/src/data/polling-loop';

/** A loop whose rounds are counted; each round reports no more work. */
function countingLoop(
  idleDelayMs: number,
  batchWindowMs: number,
): { loop: PollingLoop; rounds: () => number } {
  let rounds = 0;
  const loop = new PollingLoop(
    () => {
      rounds++;
      return Promise.resolve(false);
    },
    idleDelayMs,
    undefined,
    batchWindowMs,
  );
  return { loop, rounds: () => rounds };
}

describe('PollingLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs one round for the notifications within its batch window, then waits for the next', async () => {
    const { loop, rounds } = countingLoop(1_000, 20);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds()).toBe(1);
    for (let i = 0; i < 5; i++) {
      loop.notify();
      await jest.advanceTimersByTimeAsync(3);
    }
    expect(rounds()).toBe(1);
    await jest.advanceTimersByTimeAsync(10);
    expect(rounds()).toBe(2);
    loop.notify();
    await jest.advanceTimersByTimeAsync(20);
    expect(rounds()).toBe(3);
    await loop.stop();
  });

  it('without a window, a notification wakes the loop at once; idle, it polls', async () => {
    const { loop, rounds } = countingLoop(100, 0);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.notify();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds()).toBe(2);
    await jest.advanceTimersByTimeAsync(100);
    expect(rounds()).toBe(3);
    await loop.stop();
  });

  it('stops at once, without waiting for a pending batch window', async () => {
    const { loop, rounds } = countingLoop(60_000, 60_000);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.notify();
    await loop.stop();
    expect(rounds()).toBe(1);
  });
});
