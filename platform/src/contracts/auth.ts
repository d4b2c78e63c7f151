/** Types of the sign-in API (`/api/auth/...`) the browser app reads; type-only, no runtime code. */
import type { MenuDef, MenuItem } from '../../../metadata/src/types';

/**
 * Minutes without input after which the browser app locks its session (0: never); on the shop floor a
 * device stays signed in for a shift.
 */
export interface SessionPolicy {
  idleMinutes: number;
  shopFloorIdleMinutes: number;
}

/** `POST /api/auth/login` and `/api/auth/refresh`. */
export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

/** A menu as the signed-in user sees it: only the entries they may open. */
export type ServedMenu = Pick<MenuDef, 'menu' | 'label' | 'icon'> & { items: MenuItem[] };

export type { MenuItem as ServedMenuItem };

/** `GET /api/auth/me`: who is signed in, what they may do and what their menu shows. */
export interface CurrentUser {
  user: { id: string; username: string; locale: 'en' | 'zh' | null };
  tenant: string;
  roles: string[];
  /** Effective permission codes, sorted. */
  permissions: string[];
  menu: ServedMenu[];
  session: SessionPolicy;
}
