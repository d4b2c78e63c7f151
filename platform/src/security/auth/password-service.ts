import type { Model } from '../../../../metadata/src/model';
import type { EngineDatabase } from '../../data/database';
import type { SqlExecutor } from '../../data/database';
import { NotFoundError } from '../../crud/errors';
import { appendAudit } from '../../audit/audit-writer';
import { storePasswordHash } from './account-store';
import { CredentialVerifier, type ClientMeta } from './credentials';
import { LoginThrottle } from './login-throttle';
import { SqlLoginThrottleStore } from './login-throttle-store';
import { assertPasswordPolicy, hashPassword } from './password';
import { PasswordTokenStore, type PasswordTokenPurpose } from './password-token-store';
import { findAccount, type UserAccount } from './principal-store';
import { RefreshTokenStore } from './refresh-token-store';

/** Who sets a password: a signed-in user, or `mes users set-password` (actor `cli`). */
export interface PasswordActor {
  tenantId: string;
  userId: string;
  username: string;
}

/** A one-time link for a user to set their own password. */
export interface PasswordLink {
  userId: string;
  username: string;
  purpose: PasswordTokenPurpose;
  token: string;
  expiresAt: string;
}

/** How long a link stays valid: an invitation a week, a reset link a day. */
const LINK_TTL_SECONDS: Record<PasswordTokenPurpose, number> = { invite: 7 * 24 * 3600, reset: 24 * 3600 };

export interface PasswordSet {
  userId: string;
  username: string;
  /** Live refresh tokens of the user that were revoked: every session must sign in again. */
  refreshTokensRevoked: number;
}

/**
 * Every way a password is set after the account exists: a user changing their own (with the current
 * one, checked like a sign-in), an administrator's reset, and the CLI. Each enforces the password
 * policy, stores an argon2id hash, revokes the user's refresh tokens and appends an audit record
 * (`UPDATE` of the user, transition `change_password` / `reset_password`), in one transaction.
 */
export class PasswordService {
  private readonly refreshTokens = new RefreshTokenStore(0);
  private readonly tokens = new PasswordTokenStore();

  constructor(
    private readonly database: EngineDatabase,
    private readonly model: () => Model,
    private readonly credentials: CredentialVerifier,
  ) {}

  async changeOwn(
    actor: PasswordActor,
    currentPassword: string,
    newPassword: string,
    meta: ClientMeta,
  ): Promise<PasswordSet> {
    assertPasswordPolicy(newPassword, actor.username, 'newPassword');
    const account = await this.credentials.verify(
      actor.tenantId,
      { id: actor.userId },
      currentPassword,
      meta,
      'change-password',
    );
    return this.store(actor, account, newPassword, 'change_password', meta);
  }

  /** Sets another user's password; the caller has checked the actor may. */
  async reset(
    actor: PasswordActor,
    userId: string,
    newPassword: string,
    meta: ClientMeta,
  ): Promise<PasswordSet> {
    const account = await findAccount(this.database.executor(), this.model(), actor.tenantId, { id: userId });
    if (!account) throw new NotFoundError('user', userId);
    assertPasswordPolicy(newPassword, account.username, 'newPassword');
    return this.store(actor, account, newPassword, 'reset_password', meta);
  }

  /**
   * Issues an invitation or reset link for another user (the caller has checked the actor may);
   * earlier unused links of the user stop working. The token is returned once and stored hashed.
   */
  async issueLink(
    actor: PasswordActor,
    userId: string,
    purpose: PasswordTokenPurpose,
  ): Promise<PasswordLink> {
    const account = await findAccount(this.database.executor(), this.model(), actor.tenantId, { id: userId });
    if (!account) throw new NotFoundError('user', userId);
    return this.database.transaction(async (tx) => {
      const issued = await this.tokens.issue(
        tx,
        { tenantId: actor.tenantId, userId: account.id, purpose },
        actor.userId,
        LINK_TTL_SECONDS[purpose],
      );
      await appendAudit(tx, {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        actorName: actor.username,
        entity: 'user',
        recordId: account.id,
        action: 'UPDATE',
        transition: purpose === 'invite' ? 'invite' : 'issue_reset_link',
        detail: { expiresAt: issued.expiresAt.toISOString() },
      });
      return {
        userId: account.id,
        username: account.username,
        purpose,
        token: issued.token,
        expiresAt: issued.expiresAt.toISOString(),
      };
    });
  }

  /**
   * The user sets their own password with a link's token. A password the policy refuses leaves the
   * token unspent, so the user can try again with the same link.
   */
  async redeemLink(token: string, newPassword: string, meta: ClientMeta): Promise<PasswordSet> {
    return this.database.transaction(async (tx) => {
      const owner = await this.tokens.redeem(tx, token);
      const account = await findAccount(tx, this.model(), owner.tenantId, { id: owner.userId });
      if (!account) throw new NotFoundError('user', owner.userId);
      assertPasswordPolicy(newPassword, account.username, 'newPassword');
      const hash = await hashPassword(newPassword);
      const actor = { tenantId: owner.tenantId, userId: account.id, username: account.username };
      const transition = owner.purpose === 'invite' ? 'accept_invitation' : 'reset_password';
      return this.storeIn(tx, actor, account, hash, transition, meta);
    });
  }

  /** `mes users set-password`: by username, as the operator of the installation. */
  async setByUsername(tenantId: string, username: string, newPassword: string): Promise<PasswordSet> {
    const account = await findAccount(this.database.executor(), this.model(), tenantId, { username });
    if (!account) throw new NotFoundError('user', username);
    assertPasswordPolicy(newPassword, account.username, 'password');
    const actor = { tenantId, userId: 'cli', username: 'cli' };
    return this.store(actor, account, newPassword, 'reset_password', { userAgent: 'mes users set-password' });
  }

  private async store(
    actor: PasswordActor,
    account: UserAccount,
    newPassword: string,
    transition: PasswordTransition,
    meta: ClientMeta,
  ): Promise<PasswordSet> {
    const hash = await hashPassword(newPassword);
    return this.database.transaction((tx) => this.storeIn(tx, actor, account, hash, transition, meta));
  }

  private async storeIn(
    tx: SqlExecutor,
    actor: PasswordActor,
    account: UserAccount,
    hash: string,
    transition: PasswordTransition,
    meta: ClientMeta,
  ): Promise<PasswordSet> {
    const model = this.model();
    if (!(await storePasswordHash(tx, model, actor.tenantId, account.id, hash, actor.userId)))
      throw new NotFoundError('user', account.id);
    const refreshTokensRevoked = await this.refreshTokens.revokeUser(
      tx,
      { tenantId: actor.tenantId, userId: account.id },
      transition,
    );
    await appendAudit(tx, {
      tenantId: actor.tenantId,
      actorId: actor.userId,
      actorName: actor.username,
      entity: 'user',
      recordId: account.id,
      action: 'UPDATE',
      transition,
      detail: { password: 'set', refreshTokensRevoked },
      ip: meta.ip,
      userAgent: meta.userAgent,
      traceId: meta.traceId,
    });
    return { userId: account.id, username: account.username, refreshTokensRevoked };
  }
}

type PasswordTransition = 'change_password' | 'reset_password' | 'accept_invitation';

/** `mes users set-password`: sets a user's password by username, as the operator of the installation. */
export function setPasswordByUsername(
  database: EngineDatabase,
  model: Model,
  tenantId: string,
  username: string,
  password: string,
): Promise<PasswordSet> {
  const credentials = new CredentialVerifier(
    database,
    () => model,
    new LoginThrottle(new SqlLoginThrottleStore(database)),
  );
  return new PasswordService(database, () => model, credentials).setByUsername(tenantId, username, password);
}
