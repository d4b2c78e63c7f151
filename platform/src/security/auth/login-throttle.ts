import { TooManyAttemptsError } from './auth-errors';

/**
 * How password guesses are throttled. A client (IP address) that fails `maxFailures` times on one
 * account is refused on that account for `lockSeconds`; the account itself is never locked. Across
 * all clients, an account's failures beyond `accountFreeFailures` make every further attempt wait a
 * delay that doubles from one second up to `maxDelaySeconds`. Failures older than `lockSeconds`
 * are forgotten, and a correct password clears the account's and its client's counts.
 */
export interface LoginThrottlePolicy {
  maxFailures: number;
  lockSeconds: number;
  accountFreeFailures: number;
  maxDelaySeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE_POLICY: LoginThrottlePolicy = {
  maxFailures: 5,
  lockSeconds: 15 * 60,
  accountFreeFailures: 5,
  maxDelaySeconds: 30,
};

/** One counter: an account (`client` = ACCOUNT_WIDE) or an account seen from one client. */
export interface ThrottleSlot {
  tenantId: string;
  username: string;
  client: string;
}

export const ACCOUNT_WIDE = '*';

/**
 * What a slot admits. An attempt is counted before the password is checked, so concurrent guesses
 * cannot all pass a check that only later failures would close: a slot admits at most `maxAttempts`
 * within `windowMs` of its last counted attempt, and after its n-th attempt the next one must wait
 * `delayAfter(n)` (`delaysMs[n - 1]`, then `tailDelayMs`).
 */
export interface SlotRule {
  maxAttempts: number;
  windowMs: number;
  delaysMs: readonly number[];
  tailDelayMs: number;
}

/** Where the counters live: the database, or Redis when several instances share it. */
export interface LoginThrottleStore {
  /** Counts one attempt atomically if the rule admits it: 0, else the milliseconds to wait. */
  reserve(slot: ThrottleSlot, rule: SlotRule, nowMs: number): Promise<number>;
  /** Gives back an attempt counted in the slot that was then not made. */
  release(slot: ThrottleSlot): Promise<void>;
  /** Forgets the counters of these slots. */
  clear(slots: readonly ThrottleSlot[]): Promise<void>;
  /** Forgets every counter of an account: its own and those of every client that guessed at it. */
  clearAccount(tenantId: string, username: string): Promise<void>;
  close(): Promise<void>;
}

/** Guards every password check (login, e-signature, change of one's own password). */
export class LoginThrottle {
  private readonly clientRule: SlotRule;
  private readonly accountRule: SlotRule;

  constructor(
    private readonly store: LoginThrottleStore,
    readonly policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE_POLICY,
  ) {
    const windowMs = policy.lockSeconds * 1000;
    this.clientRule = { maxAttempts: policy.maxFailures, windowMs, delaysMs: [], tailDelayMs: 0 };
    this.accountRule = {
      maxAttempts: Number.MAX_SAFE_INTEGER,
      windowMs,
      delaysMs: progressiveDelays(policy),
      tailDelayMs: policy.maxDelaySeconds * 1000,
    };
  }

  /**
   * Counts an attempt on the account from this client, or throws 429 with the seconds to wait. The
   * client's own count is taken first, so a locked-out client does not slow the account down; when
   * the account then makes it wait, the client's attempt is given back, so waiting out the delay
   * does not use up the client's own failures.
   */
  async admit(tenantId: string, username: string, client: string | null | undefined): Promise<void> {
    const now = Date.now();
    const pair = this.slot(tenantId, username, client);
    let wait = await this.store.reserve(pair, this.clientRule, now);
    if (wait === 0) {
      wait = await this.store.reserve(this.slot(tenantId, username, ACCOUNT_WIDE), this.accountRule, now);
      if (wait > 0) await this.store.release(pair);
    }
    if (wait > 0) throw new TooManyAttemptsError(Math.max(1, Math.ceil(wait / 1000)));
  }

  /** A correct password: the account's and this client's failures are forgotten. */
  succeeded(tenantId: string, username: string, client: string | null | undefined): Promise<void> {
    return this.store.clear([
      this.slot(tenantId, username, client),
      this.slot(tenantId, username, ACCOUNT_WIDE),
    ]);
  }

  /** An administrator unlocked the account: clients locked out of it may try again at once. */
  forgetAccount(tenantId: string, username: string): Promise<void> {
    const { username: name } = this.slot(tenantId, username, ACCOUNT_WIDE);
    return this.store.clearAccount(tenantId, name);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private slot(tenantId: string, username: string, client: string | null | undefined): ThrottleSlot {
    return {
      tenantId,
      username: username.trim().toLowerCase().slice(0, 64),
      client: (client || 'unknown').slice(0, 64),
    };
  }
}

/** 0 for the free failures, then 1 s, 2 s, 4 s … below the cap (the cap itself is the tail). */
function progressiveDelays(policy: LoginThrottlePolicy): number[] {
  const delays: number[] = Array.from({ length: policy.accountFreeFailures }, () => 0);
  for (let delay = 1000; delay < policy.maxDelaySeconds * 1000; delay *= 2) delays.push(delay);
  return delays;
}

/** The policy from `MES_LOGIN_*` settings; an invalid value stops the server naming the setting. */
export function loginThrottlePolicy(env: NodeJS.ProcessEnv): LoginThrottlePolicy {
  const setting = (name: string, fallback: number, min: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min)
      throw new Error(`${name} must be an integer of at least ${min}, got '${raw}'`);
    return value;
  };
  const defaults = DEFAULT_LOGIN_THROTTLE_POLICY;
  return {
    maxFailures: setting('MES_LOGIN_MAX_FAILURES', defaults.maxFailures, 1),
    lockSeconds: setting('MES_LOGIN_LOCK_SECONDS', defaults.lockSeconds, 1),
    accountFreeFailures: setting('MES_LOGIN_ACCOUNT_FREE_FAILURES', defaults.accountFreeFailures, 0),
    maxDelaySeconds: setting('MES_LOGIN_MAX_DELAY_SECONDS', defaults.maxDelaySeconds, 1),
  };
}
