import type { Model } from '../../../../metadata/src/model';
import type { EngineDatabase } from '../../data/database';
import { appendAudit } from '../../audit/audit-writer';
import { storePasswordHash, tenantHasAccounts } from './account-store';
import { AuthenticationError } from './auth-errors';
import type { LoginThrottle } from './login-throttle';
import {
  hashPassword,
  passwordNeedsRehash,
  PASSWORD_HASH_LANES,
  PASSWORD_HASH_MEMORY_KIB,
  PASSWORD_HASH_PASSES,
  verifyAgainst,
} from './password';
import { findAccount, type UserAccount } from './principal-store';

export interface ClientMeta {
  ip?: string | null;
  userAgent?: string | null;
  traceId?: string | null;
}

/** Why a password is being checked; recorded with a failure. */
export type PasswordPurpose = 'login' | 'e-signature' | 'change-password';

/** Same answer for unknown user, wrong password and inactive account: no username enumeration. */
export const BAD_CREDENTIALS = 'Invalid username or password';

const ACTIVE = 'ACTIVE';

/**
 * The one place a user's password is checked: sign-in, e-signatures on workflow actions and a
 * change of one's own password all count toward the same throttle (`LoginThrottle`) and are audited
 * alike. Every check costs one argon2 verification, whether or not the account exists.
 */
export class CredentialVerifier {
  constructor(
    private readonly database: EngineDatabase,
    private readonly model: () => Model,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * The account when the password is its own and the account is active. Otherwise 401 (a
   * `LOGIN_FAILED` audit record in a tenant that exists), or 429 while throttled (the password is
   * then not checked at all).
   */
  async verify(
    tenantId: string,
    who: { username: string } | { id: string },
    password: string,
    meta: ClientMeta,
    purpose: PasswordPurpose,
  ): Promise<UserAccount> {
    const db = this.database.executor();
    const model = this.model();
    const byId = 'id' in who ? await findAccount(db, model, tenantId, who) : null;
    if ('id' in who && !byId) throw new AuthenticationError(BAD_CREDENTIALS, 'credentials');
    const username = byId?.username ?? (who as { username: string }).username;
    await this.throttle.admit(tenantId, username, meta.ip);
    const known = await tenantHasAccounts(db, model, tenantId);
    const account = byId ?? (known ? await findAccount(db, model, tenantId, { username }) : null);
    const matches = await verifyAgainst(account?.passwordHash, password);
    if (account && matches && account.status === ACTIVE) {
      await this.throttle.succeeded(tenantId, username, meta.ip);
      // A new password is about to replace the hash anyway.
      if (purpose !== 'change-password') await this.rehashIfOutdated(tenantId, account, password, meta);
      return account;
    }
    // No chain for a tenant that does not exist: the failure is answered, not recorded.
    if (known)
      await this.database.transaction((tx) =>
        appendAudit(tx, {
          tenantId,
          actorId: account?.id ?? 'anonymous',
          actorName: username.slice(0, 64),
          entity: 'user',
          recordId: account?.id ?? username.slice(0, 64),
          action: 'LOGIN_FAILED',
          detail: { purpose },
          ip: meta.ip,
          userAgent: meta.userAgent,
          traceId: meta.traceId,
        }),
      );
    throw new AuthenticationError(BAD_CREDENTIALS, 'credentials');
  }

  /**
   * Replaces a hash made with older parameters by one made with the current ones, while the verified
   * password is at hand: through the store's one password write, audited as an `UPDATE` of the user
   * (transition `rehash_password`). The password, and when it was set, stay the same.
   */
  private async rehashIfOutdated(
    tenantId: string,
    account: UserAccount,
    password: string,
    meta: ClientMeta,
  ): Promise<void> {
    const old = account.passwordHash;
    if (!old || !passwordNeedsRehash(old)) return;
    const hash = await hashPassword(password);
    const model = this.model();
    await this.database.transaction(async (tx) => {
      if (!(await storePasswordHash(tx, model, tenantId, account.id, hash, account.id, old))) return;
      await appendAudit(tx, {
        tenantId,
        actorId: account.id,
        actorName: account.username,
        entity: 'user',
        recordId: account.id,
        action: 'UPDATE',
        transition: 'rehash_password',
        detail: {
          password: 'rehashed',
          memoryKiB: PASSWORD_HASH_MEMORY_KIB,
          passes: PASSWORD_HASH_PASSES,
          lanes: PASSWORD_HASH_LANES,
        },
        ip: meta.ip,
        userAgent: meta.userAgent,
        traceId: meta.traceId,
      });
    });
  }

  /** The account was unlocked: its password-guess counters start again from zero. */
  forgetFailures(tenantId: string, username: string): Promise<void> {
    return this.throttle.forgetAccount(tenantId, username);
  }

  close(): Promise<void> {
    return this.throttle.close();
  }
}
