import type { Model } from '../../../../metadata/src/model';
import { hasPermission } from '../../../../metadata/src/model/permissions';
import type { MenuDef, MenuItem } from '../../../../metadata/src/types';
import type { CurrentUser, ServedMenu, SessionPolicy, TokenPair } from '../../contracts/auth';
import type { EngineDatabase, SqlExecutor } from '../../data/database';
import { appendAudit } from '../../audit/audit-writer';
import { recordLogin, storeLocale } from './account-store';
import { effectivePermissions, type Principal } from '../principal';
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { TENANT_PATTERN } from '../http/tenant-header';
import { AuthenticationError } from './auth-errors';
import { CredentialVerifier, type ClientMeta } from './credentials';
import { signJwt, verifyJwt } from './jwt';
import { LoginThrottle } from './login-throttle';
import { tenantMenuRows, type TenantMenuRow } from './menu-store';
import { SqlLoginThrottleStore } from './login-throttle-store';
import { PasswordService, type PasswordMail } from './password-service';
import { findAccount, loadPrincipal } from './principal-store';
import { dashboardSharedWith } from '../authorization/access';
import { RefreshTokenStore } from './refresh-token-store';
import { currentPrincipalVersion } from './principal-invalidation-store';
import type { PrincipalInvalidations } from './principal-invalidations';

export type { ClientMeta } from './credentials';

export interface AuthOptions {
  jwtSecret: string;
  /** Default 15 minutes. */
  accessTtlSeconds?: number;
  /** Default 14 days. */
  refreshTtlSeconds?: number;
  /** Default: the database-backed throttle with the default policy. */
  credentials?: CredentialVerifier;
  /** What the browser app does with an idle session; `/me` tells it. */
  session?: SessionPolicy;
  /** E-mail of invitation and reset links; unset = links are only handed to the administrator. */
  mail?: PasswordMail | null;
  /**
   * Changes to principals since a token was issued: set, a token older than its user's, roles' or
   * tenant's last change is refused (`TOKEN_STALE`) and tokens carry the version they were read at.
   */
  invalidations?: PrincipalInvalidations | null;
}

const DEFAULT_SESSION: SessionPolicy = { idleMinutes: 30, shopFloorIdleMinutes: 12 * 60 };

const ACTIVE = 'ACTIVE';
const TENANT_MAX_LENGTH = 32;

/**
 * Login, refresh, logout and token verification. Access tokens are HS256 JWTs carrying the whole
 * principal, so authenticating a request needs no database round trip; they live 15 minutes. A
 * change to what a token carries (see PrincipalInvalidations) makes the tokens issued before it
 * stale at once: refused with `TOKEN_STALE`, the client refreshes and gets the new principal.
 */
export class AuthService {
  private readonly accessTtl: number;
  private readonly refreshTokens: RefreshTokenStore;
  readonly credentials: CredentialVerifier;
  readonly passwords: PasswordService;

  constructor(
    private readonly database: EngineDatabase,
    readonly model: () => Model,
    private readonly options: AuthOptions,
  ) {
    this.accessTtl = options.accessTtlSeconds ?? 15 * 60;
    this.refreshTokens = new RefreshTokenStore(options.refreshTtlSeconds ?? 14 * 24 * 3600);
    this.credentials =
      options.credentials ??
      new CredentialVerifier(database, model, new LoginThrottle(new SqlLoginThrottleStore(database)));
    this.passwords = new PasswordService(
      database,
      model,
      this.credentials,
      options.mail ?? null,
      options.invalidations ?? null,
    );
  }

  /** 400 naming `tenant` for a malformed tenant id; then the password check (throttled, audited). */
  async login(tenantId: string, username: string, password: string, meta: ClientMeta): Promise<TokenPair> {
    if (!TENANT_PATTERN.test(tenantId)) throw tenantError(tenantId);
    const db = this.database.executor();
    // Read before the account: a change committing in between leaves this token stale, never wrong.
    const version = await this.principalVersion(db, tenantId);
    const account = await this.credentials.verify(tenantId, { username }, password, meta, 'login');
    const model = this.model();
    const principal = await loadPrincipal(db, model, tenantId, account);
    return this.database.transaction(async (tx) => {
      await recordLogin(tx, model, tenantId, account.id, meta.ip?.slice(0, 64) ?? null);
      await appendAudit(tx, {
        tenantId,
        actorId: account.id,
        actorName: account.username,
        entity: 'user',
        recordId: account.id,
        action: 'LOGIN',
        detail: { roles: principal.roles },
        ip: meta.ip,
        userAgent: meta.userAgent,
        traceId: meta.traceId,
      });
      const refresh = await this.refreshTokens.issue(tx, principal, meta);
      return this.pair(principal, version, refresh.token, refresh.expiresAt);
    });
  }

  /** Spends the refresh token and issues a new pair; roles and departments are re-read. */
  async refresh(refreshToken: string, meta: ClientMeta): Promise<TokenPair> {
    // Outside a transaction on purpose: the family revoked on reuse must stay revoked when spend throws.
    const db = this.database.executor();
    const owner = await this.refreshTokens.spend(db, refreshToken);
    const model = this.model();
    // Read before the principal: a change committing in between leaves this token stale, never wrong.
    const version = await this.principalVersion(db, owner.tenantId);
    const account = await findAccount(db, model, owner.tenantId, { id: owner.userId });
    if (!account || account.status !== ACTIVE) {
      await this.refreshTokens.revokeFamily(db, owner.familyId, 'inactive');
      throw new AuthenticationError('Account is not active', 'inactive');
    }
    const principal = await loadPrincipal(db, model, owner.tenantId, account);
    const next = await this.refreshTokens.issue(db, principal, meta, owner.familyId);
    return this.pair(principal, version, next.token, next.expiresAt);
  }

  async logout(refreshToken: string, principal: Principal | null, meta: ClientMeta): Promise<void> {
    await this.database.transaction(async (tx) => {
      await this.refreshTokens.revokeByToken(tx, refreshToken, 'logout');
      if (principal)
        await appendAudit(tx, {
          tenantId: principal.tenantId,
          actorId: principal.userId,
          actorName: principal.username,
          entity: 'user',
          recordId: principal.userId,
          action: 'LOGOUT',
          detail: {},
          ip: meta.ip,
          userAgent: meta.userAgent,
          traceId: meta.traceId,
        });
    });
  }

  /** The principal of a valid access token; 401 for anything else. */
  async authenticate(accessToken: string): Promise<Principal> {
    const claims = await verifyJwt(accessToken, this.options.jwtSecret);
    const principal = claims.principal as Principal | undefined;
    if (!principal || principal.userId !== claims.sub || principal.tenantId !== claims.tid)
      throw new AuthenticationError('Malformed token claims', 'malformed');
    const version = typeof claims.pv === 'number' ? claims.pv : 0;
    if (this.options.invalidations?.isStale(principal, version))
      throw new AuthenticationError('Your permissions changed; sign in again', 'stale');
    return principal;
  }

  /**
   * `/me`: the user, tenant, roles, effective permissions, the menu tree they may open — the shipped
   * menus with the entries the tenant added through `/api/menus` — and the session policy.
   */
  async me(principal: Principal): Promise<CurrentUser> {
    const model = this.model();
    const added = await tenantMenuRows(this.database.executor(), model, principal.tenantId);
    return {
      user: { id: principal.userId, username: principal.username, locale: principal.locale ?? null },
      tenant: principal.tenantId,
      roles: principal.roles,
      permissions: effectivePermissions(principal, model).sort(),
      menu: visibleMenus(principal, model, added),
      session: this.options.session ?? DEFAULT_SESSION,
    };
  }

  /**
   * Stores the signed-in user's language (audited as an update of the user, `set_locale`). Server
   * messages follow it from the next access token on: the app refreshes its token after the change.
   */
  async setLocale(principal: Principal, locale: 'en' | 'zh', meta: ClientMeta): Promise<void> {
    const model = this.model();
    await this.database.transaction(async (tx) => {
      if (!(await storeLocale(tx, model, principal.tenantId, principal.userId, locale)))
        throw new NotFoundError('user', principal.userId);
      await appendAudit(tx, {
        tenantId: principal.tenantId,
        actorId: principal.userId,
        actorName: principal.username,
        entity: 'user',
        recordId: principal.userId,
        action: 'UPDATE',
        transition: 'set_locale',
        detail: { locale },
        ip: meta.ip,
        userAgent: meta.userAgent,
        traceId: meta.traceId,
      });
    });
  }

  /** The tenant's principal version, read before the principal a token will carry. */
  private principalVersion(db: SqlExecutor, tenantId: string): Promise<number> {
    return this.options.invalidations ? currentPrincipalVersion(db, tenantId) : Promise.resolve(0);
  }

  private async pair(
    principal: Principal,
    version: number,
    refreshToken: string,
    refreshExpiresAt: Date,
  ): Promise<TokenPair> {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await signJwt(
      {
        sub: principal.userId,
        tid: principal.tenantId,
        iat: now,
        exp: now + this.accessTtl,
        pv: version,
        principal,
      },
      this.options.jwtSecret,
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.accessTtl,
      refreshToken,
      refreshExpiresAt: refreshExpiresAt.toISOString(),
    };
  }
}

function tenantError(tenantId: string): BadRequestError {
  const error =
    tenantId.length > TENANT_MAX_LENGTH
      ? {
          rule: 'maxLength',
          limit: TENANT_MAX_LENGTH,
          message: `tenant must be at most ${TENANT_MAX_LENGTH} characters`,
        }
      : {
          rule: 'pattern',
          limit: TENANT_PATTERN.source,
          message: `tenant must match ${TENANT_PATTERN.source}`,
        };
  return new BadRequestError(error.message, { errors: [{ field: 'tenant', path: '/tenant', ...error }] });
}

function visibleMenus(principal: Principal, model: Model, added: TenantMenuRow[]): ServedMenu[] {
  const granted = effectivePermissions(principal, model);
  const visible = (items: MenuItem[]): MenuItem[] =>
    items.flatMap((item) => {
      const children = item.children ? visible(item.children) : undefined;
      const required = item.permission ?? (item.entity ? `${item.entity}:read` : undefined);
      if (required && !hasPermission(granted, required)) return [];
      if (item.entity && model.entities.get(item.entity)?.archived) return [];
      if (!dashboardShared(item.route, principal, model)) return [];
      if (item.children && children?.length === 0 && !item.entity && !item.route) return [];
      return [{ ...item, ...(children ? { children } : {}) }];
    });
  return withTenantMenus([...model.menus.values()], added)
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
    .map((menu) => ({ menu: menu.menu, label: menu.label, icon: menu.icon, items: visible(menu.items) }))
    .filter((menu) => menu.items.length > 0);
}

/** A menu entry opening a dashboard shows only to the roles the dashboard is shared with. */
function dashboardShared(route: string | undefined, principal: Principal, model: Model): boolean {
  const name = route && /^\/dashboards\/([A-Za-z0-9_]+)$/.exec(route)?.[1];
  const dashboard = name ? model.dashboards.get(name) : undefined;
  return dashboard === undefined || dashboardSharedWith(dashboard, principal);
}

/**
 * The shipped menus with the tenant's own entries: a top-level directory becomes a menu of its own,
 * a top-level entry joins the shipped menu of its module (or stands alone), and an entry with a
 * parent is a child of that parent.
 */
function withTenantMenus(shipped: MenuDef[], rows: TenantMenuRow[]): MenuDef[] {
  if (rows.length === 0) return shipped;
  const items = new Map(rows.map((row) => [row.id, tenantMenuItem(row)]));
  const menus = shipped.map((menu) => ({ ...menu, items: [...menu.items] }));
  for (const row of rows) {
    const item = items.get(row.id)!;
    const parent = row.parent_id === null ? undefined : items.get(row.parent_id);
    if (parent) (parent.children ??= []).push(item);
    else if (row.parent_id !== null) continue;
    else if (row.menu_type === 'DIRECTORY')
      menus.push({
        menu: row.menu_code,
        label: item.label,
        module: row.module_code,
        icon: item.icon,
        order: item.order,
        items: (item.children ??= []),
      });
    else {
      const home = menus.find((menu) => menu.module === row.module_code);
      if (home) home.items.push(item);
      else
        menus.push({
          menu: row.menu_code,
          label: item.label,
          module: row.module_code,
          icon: item.icon,
          order: item.order,
          items: [item],
        });
    }
  }
  return menus;
}

function tenantMenuItem(row: TenantMenuRow): MenuItem {
  const route = row.route_path ?? row.external_url ?? undefined;
  return {
    id: row.menu_code,
    label: { zh: row.menu_name, en: row.menu_name_en ?? row.menu_name },
    ...(row.icon ? { icon: row.icon } : {}),
    ...(row.entity_name ? { entity: row.entity_name } : {}),
    ...(route ? { route } : {}),
    ...(row.permission_code ? { permission: row.permission_code } : {}),
    order: row.sort_order ?? 0,
    ...(row.menu_type === 'DIRECTORY' ? { children: [] } : {}),
  };
}
