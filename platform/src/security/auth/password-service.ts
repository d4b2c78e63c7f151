import type { Model } from '../../../../metadata/src/model';
import type { PasswordLink, PasswordSet, SentPasswordLink } from '../../contracts/auth';
import type { EngineDatabase } from '../../data/database';
import type { SqlExecutor } from '../../data/database';
import { BusinessRuleError, NotFoundError } from '../../crud/errors';
import { serializeRow } from '../../crud/serializer';
import { RowStore } from '../../data/row-store';
import { appendAudit } from '../../audit/audit-writer';
import { runtimeOf } from '../../kernel/model-runtime';
import type { Mailer } from '../../notify/mailer';
import { storePasswordHash } from './account-store';
import { CredentialVerifier, type ClientMeta } from './credentials';
import { LoginThrottle } from './login-throttle';
import { SqlLoginThrottleStore } from './login-throttle-store';
import { assertPasswordPolicy, hashPassword } from './password';
import { PasswordTokenStore, type PasswordTokenPurpose } from './password-token-store';
import { findAccount, type UserAccount } from './principal-store';
import { RefreshTokenStore } from './refresh-token-store';
import { PrincipalInvalidations, userSubject } from './principal-invalidations';

/** Who sets a password: a signed-in user, or `mes users set-password` (actor `cli`). */
export interface PasswordActor {
  tenantId: string;
  userId: string;
  username: string;
}

/** How password links reach users by e-mail: the transport, and the app's address the links point at. */
export interface PasswordMail {
  mailer: Mailer;
  /** Origin of the browser app, e.g. `https://mes.plant.example`; links go to `<publicUrl>/set-password`. */
  publicUrl: string;
  /**
   * Told about a self-service e-mail that could not be sent (the requester's answer never says):
   * the tenant, the account asked for and the address the mail was for (null when it failed before).
   */
  onError(error: unknown, failed: FailedResetMail): void;
}

/** A self-service reset e-mail that was not delivered. */
export interface FailedResetMail {
  tenantId: string;
  username: string;
  email: string | null;
}

/** How long a link stays valid: an invitation a week, a reset link a day. */
const LINK_TTL_SECONDS: Record<PasswordTokenPurpose, number> = { invite: 7 * 24 * 3600, reset: 24 * 3600 };

/**
 * Every way a password is set after the account exists: a user changing their own (with the current
 * one, checked like a sign-in), an administrator's reset, and the CLI. Each enforces the password
 * policy, stores an argon2id hash, revokes the user's refresh tokens (and makes their access tokens
 * stale, when principal invalidation is on) and appends an audit record
 * (`UPDATE` of the user, transition `change_password` / `reset_password`), in one transaction.
 */
export class PasswordService {
  private readonly refreshTokens = new RefreshTokenStore(0);
  private readonly tokens = new PasswordTokenStore();

  constructor(
    private readonly database: EngineDatabase,
    private readonly model: () => Model,
    private readonly credentials: CredentialVerifier,
    private readonly mail: PasswordMail | null = null,
    private readonly invalidations: PrincipalInvalidations | null = null,
  ) {}

  /** Whether links can be sent by e-mail (`SMTP_URL` set). */
  get mailEnabled(): boolean {
    return this.mail !== null;
  }

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
    return this.issueFor(actor, account, purpose);
  }

  /**
   * Issues the link as `issueLink` does and e-mails it to the user, in the user's language; the token
   * is never shown to the caller. 422 naming `email` when the user has no address, or when no mail
   * server is configured.
   */
  async sendLink(
    actor: PasswordActor,
    userId: string,
    purpose: PasswordTokenPurpose,
  ): Promise<SentPasswordLink> {
    const mail = this.mail;
    if (!mail)
      throw new BusinessRuleError(
        'E-mail is not configured on this server (SMTP_URL); issue a link instead',
        {
          errors: [{ field: 'send', path: '/send', rule: 'smtp', message: 'SMTP_URL is not set' }],
        },
      );
    const account = await findAccount(this.database.executor(), this.model(), actor.tenantId, { id: userId });
    if (!account) throw new NotFoundError('user', userId);
    const contact = await this.contactOf(actor.tenantId, account.id);
    if (!contact.email)
      throw new BusinessRuleError(`User ${account.username} has no e-mail address`, {
        errors: [
          { field: 'email', path: '/email', rule: 'required', message: 'The user has no e-mail address' },
        ],
      });
    const link = await this.issueFor(actor, account, purpose);
    await mail.mailer.send(linkMail(mail.publicUrl, contact.email, contact.locale, link));
    return {
      userId: link.userId,
      username: link.username,
      purpose,
      sentTo: maskEmail(contact.email),
      expiresAt: link.expiresAt,
    };
  }

  /**
   * Self-service "forgot password": when the username names an active account with an e-mail address
   * and mail is configured, a reset link is issued (audited as `request_reset` by the user) and
   * e-mailed. Runs after the caller was answered, and the answer is the same in every case, so
   * neither its content nor its timing tells whether the account exists.
   */
  requestReset(tenantId: string, username: string, meta: ClientMeta): void {
    const mail = this.mail;
    if (!mail) return;
    const failed: FailedResetMail = { tenantId, username, email: null };
    void this.deliverReset(mail, failed, meta).catch((error: unknown) => mail.onError(error, failed));
  }

  private async deliverReset(mail: PasswordMail, failed: FailedResetMail, meta: ClientMeta): Promise<void> {
    const { tenantId, username } = failed;
    const account = await findAccount(this.database.executor(), this.model(), tenantId, { username });
    if (!account || account.status !== 'ACTIVE') return;
    const contact = await this.contactOf(tenantId, account.id);
    if (!contact.email) return;
    failed.email = contact.email;
    const self = { tenantId, userId: account.id, username: account.username };
    const link = await this.issueFor(self, account, 'reset', 'request_reset', meta);
    await mail.mailer.send(linkMail(mail.publicUrl, contact.email, contact.locale, link));
  }

  /** The user's e-mail address (decrypted) and language. */
  private async contactOf(
    tenantId: string,
    userId: string,
  ): Promise<{ email: string | null; locale: 'en' | 'zh' }> {
    const model = this.model();
    const user = model.entities.get('user');
    if (!user) return { email: null, locale: 'en' };
    const [row] = await new RowStore(tenantId).byIds(this.database.executor(), user, [Number(userId)], true);
    if (!row) return { email: null, locale: 'en' };
    const record = serializeRow(runtimeOf(model).entity('user'), row, tenantId);
    return {
      email: typeof record.email === 'string' && record.email.includes('@') ? record.email : null,
      locale: record.locale === 'en' ? 'en' : 'zh',
    };
  }

  private issueFor(
    actor: PasswordActor,
    account: UserAccount,
    purpose: PasswordTokenPurpose,
    transition: string = purpose === 'invite' ? 'invite' : 'issue_reset_link',
    meta?: ClientMeta,
  ): Promise<PasswordLink> {
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
        transition,
        detail: { expiresAt: issued.expiresAt.toISOString() },
        ip: meta?.ip,
        userAgent: meta?.userAgent,
        traceId: meta?.traceId,
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
    // The access tokens too: a password set because the old one leaked ends every session at once.
    await this.invalidations?.invalidate(tx, actor.tenantId, [userSubject(account.id)]);
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

/** `jane@plant.example` → `j***@plant.example`: enough for the administrator to recognise it. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(1, at))}***${email.slice(at)}`;
}

const LINK_MAIL = {
  en: {
    invite: {
      subject: 'Your BTC MES account',
      text: (name: string, url: string, until: string) =>
        `Hello ${name},\n\nAn account was created for you. Choose your password here:\n\n${url}\n\nThe link works once and until ${until} (UTC).\n`,
    },
    reset: {
      subject: 'Reset your BTC MES password',
      text: (name: string, url: string, until: string) =>
        `Hello ${name},\n\nA password reset was requested for your account. Choose a new password here:\n\n${url}\n\nThe link works once and until ${until} (UTC). If you did not ask for it, ignore this e-mail; your password stays as it is.\n`,
    },
  },
  zh: {
    invite: {
      subject: '您的 BTC MES 账号',
      text: (name: string, url: string, until: string) =>
        `${name}，您好：\n\n已为您创建账号，请通过以下链接设置密码：\n\n${url}\n\n该链接仅可使用一次，有效期至 ${until}（UTC）。\n`,
    },
    reset: {
      subject: '重置您的 BTC MES 密码',
      text: (name: string, url: string, until: string) =>
        `${name}，您好：\n\n有人为您的账号申请了密码重置，请通过以下链接设置新密码：\n\n${url}\n\n该链接仅可使用一次，有效期至 ${until}（UTC）。如非本人操作，请忽略本邮件，您的密码不会改变。\n`,
    },
  },
} as const;

function linkMail(publicUrl: string, to: string, locale: 'en' | 'zh', link: PasswordLink) {
  const texts = LINK_MAIL[locale][link.purpose];
  const url = `${publicUrl.replace(/\/+$/, '')}/set-password?token=${encodeURIComponent(link.token)}`;
  const until = link.expiresAt.slice(0, 16).replace('T', ' ');
  return { to, subject: texts.subject, text: texts.text(link.username, url, until) };
}

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
  // Recorded in the database only: the running instances read it within their reload interval.
  const invalidations = new PrincipalInvalidations(database, { retainMs: 0, reloadMs: 0 });
  return new PasswordService(database, () => model, credentials, null, invalidations).setByUsername(
    tenantId,
    username,
    password,
  );
}
