import { defineStore } from 'pinia';
import { ApiError, api, currentTokens, setTokens } from '../api/http';
import { setLocale } from '../i18n';
import type {
  CurrentUser,
  ServedMenu,
  ServedMenuItem,
  TokenPair,
} from '../../../platform/src/contracts/auth';
import type { EntityList } from '../../../platform/src/contracts/meta';
import type { EntitySummary, I18nText } from '../api/meta';

export interface MenuItem {
  key: string;
  label: I18nText;
  route?: string;
  children?: MenuItem[];
}

/**
 * Who is signed in and what the menu shows. `/api/auth/me` decides; when the server has no auth
 * endpoint (404) the API is open and the menu lists every entity by module.
 */
export const useSession = defineStore('session', {
  state: () => ({
    me: null as CurrentUser | null,
    authEnabled: true,
    loaded: false,
    entities: [] as EntitySummary[],
    menu: [] as MenuItem[],
  }),
  getters: {
    signedIn: (state) => state.me !== null || !state.authEnabled,
    /**
     * Whether the user may read records of `entity`: expanding a relation to an entity the user may
     * not read makes the server refuse the whole request, so screens expand only readable ones.
     */
    canRead(): (entity: string) => boolean {
      return (entity) => this.can(entity, 'read');
    },
    /**
     * Whether the user holds `<entity>:<action>` (directly or by a wildcard), so a screen shows only
     * the buttons that work for them; the server decides again on every request.
     */
    can:
      (state) =>
      (entity: string, action: string): boolean => {
        if (!state.me) return !state.authEnabled;
        const granted = state.me.permissions;
        return [`${entity}:${action}`, `${entity}:*`, `*:${action}`, '*:*', '*'].some((p) =>
          granted.includes(p),
        );
      },
  },
  actions: {
    /** Who is signed in and the entities, asked together: the first screen waits for one round trip. */
    async load(): Promise<void> {
      if (!currentTokens()) {
        // Nobody signed in on this device: the login screen needs no round trip.
        this.me = null;
        this.loaded = true;
        return;
      }
      const [me, entities] = await Promise.allSettled([
        api<CurrentUser>('GET', '/api/auth/me'),
        api<EntityList>('GET', '/api/meta/entities'),
      ]);
      if (me.status === 'fulfilled') {
        this.me = me.value;
        // The language the user stored decides, on every device they sign in on.
        const stored = me.value.user.locale;
        if (stored) setLocale(stored === 'zh' ? 'zh-CN' : 'en');
      } else {
        if (!(me.reason instanceof ApiError)) throw me.reason;
        this.me = null;
        this.authEnabled = me.reason.status !== 404;
      }
      if (this.signedIn) {
        if (entities.status === 'rejected') throw entities.reason;
        this.showMenu(entities.value.entities);
      }
      this.loaded = true;
    },
    async login(username: string, password: string): Promise<void> {
      const tokens = await api<TokenPair>('POST', '/api/auth/login', {
        username,
        password,
      });
      setTokens({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
      await this.load();
    },
    /** Ends the session on the server too (its refresh token revoked), then forgets it here. */
    async logout(): Promise<void> {
      await this.lock();
      this.me = null;
      this.menu = [];
    },
    /** Ends the session but keeps who was signed in, so the screen stays while they sign in again. */
    async lock(): Promise<void> {
      const tokens = currentTokens();
      if (tokens)
        await fetch('/api/auth/logout', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` },
          body: JSON.stringify({ refreshToken: tokens.refreshToken }),
        }).catch(() => undefined);
      setTokens(null);
    },
    showMenu(entities: EntitySummary[]): void {
      this.entities = entities;
      this.menu = this.me?.menu.length ? servedMenu(this.me.menu, entities) : menuByModule(entities);
    },
  },
});

function menuByModule(entities: EntitySummary[]): MenuItem[] {
  const modules = new Map<string, MenuItem[]>();
  for (const entity of entities) {
    const items = modules.get(entity.module) ?? [];
    items.push({ key: entity.path, label: entity.pluralLabel, route: `/e/${entity.path}` });
    modules.set(entity.module, items);
  }
  return [...modules.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([module, children]) => ({ key: module, label: module, children }));
}

/** The server's menu (already filtered by the user's permissions): entity leaves become list routes, screens keep theirs. */
function servedMenu(menus: ServedMenu[], entities: EntitySummary[]): MenuItem[] {
  const paths = new Map(entities.map((e) => [e.name, e.path]));
  const group = (key: string, label: I18nText, items: ServedMenuItem[]): MenuItem | null => {
    const children = items.map(convert).filter((c): c is MenuItem => c !== null);
    return children.length ? { key, label, children } : null;
  };
  const convert = (item: ServedMenuItem): MenuItem | null => {
    if (item.children) return group(item.id, item.label, item.children);
    if (item.route) return { key: item.id, label: item.label, route: item.route };
    const path = item.entity ? paths.get(item.entity) : undefined;
    return path ? { key: item.id, label: item.label, route: `/e/${path}` } : null;
  };
  return menus
    .map((menu) => group(menu.menu, menu.label, menu.items))
    .filter((n): n is MenuItem => n !== null);
}
