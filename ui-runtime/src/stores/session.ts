import { defineStore } from 'pinia';
import { ApiError, api, setAccessToken } from '../api/http';
import type { EntitySummary, I18nText } from '../api/meta';

export interface MenuItem {
  key: string;
  label: I18nText;
  route?: string;
  children?: MenuItem[];
}

/** A menu node of `/api/auth/me`: groups hold `items`, folders `children`, leaves name an `entity`. */
interface ServedMenuNode {
  menu?: string;
  id?: string;
  label: I18nText;
  entity?: string;
  /** A screen of the app (`/studio`) rather than an entity's list. */
  route?: string;
  items?: ServedMenuNode[];
  children?: ServedMenuNode[];
}

interface Me {
  user: { id?: string; username: string; displayName?: string };
  permissions?: string[];
  menu?: ServedMenuNode[];
}

/**
 * Who is signed in and what the menu shows. `/api/auth/me` decides; when the server has no auth
 * endpoint (404) the API is open and the menu lists every entity by module.
 */
export const useSession = defineStore('session', {
  state: () => ({
    me: null as Me | null,
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
    canRead:
      (state) =>
      (entity: string): boolean => {
        const granted = state.me?.permissions;
        if (!granted) return true;
        return [`${entity}:read`, `${entity}:*`, '*:read', '*:*', '*'].some((p) => granted.includes(p));
      },
  },
  actions: {
    async load(): Promise<void> {
      try {
        this.me = await api<Me>('GET', '/api/auth/me');
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        this.me = null;
        this.authEnabled = error.status !== 404;
      }
      if (this.signedIn) await this.loadMenu();
      this.loaded = true;
    },
    async login(username: string, password: string): Promise<void> {
      const tokens = await api<{ accessToken: string }>('POST', '/api/auth/login', { username, password });
      setAccessToken(tokens.accessToken);
      await this.load();
    },
    logout(): void {
      setAccessToken(null);
      this.me = null;
      this.menu = [];
    },
    async loadMenu(): Promise<void> {
      const { entities } = await api<{ entities: EntitySummary[] }>('GET', '/api/meta/entities');
      this.entities = entities;
      this.menu = this.me?.menu?.length ? servedMenu(this.me.menu, entities) : menuByModule(entities);
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
function servedMenu(nodes: ServedMenuNode[], entities: EntitySummary[]): MenuItem[] {
  const paths = new Map(entities.map((e) => [e.name, e.path]));
  const convert = (node: ServedMenuNode): MenuItem | null => {
    const key = node.menu ?? node.id ?? String(node.entity);
    const nested = node.items ?? node.children;
    if (nested) {
      const children = nested.map(convert).filter((c): c is MenuItem => c !== null);
      return children.length ? { key, label: node.label, children } : null;
    }
    if (node.route) return { key, label: node.label, route: node.route };
    const path = node.entity ? paths.get(node.entity) : undefined;
    return path ? { key, label: node.label, route: `/e/${path}` } : null;
  };
  return nodes.map(convert).filter((n): n is MenuItem => n !== null);
}
