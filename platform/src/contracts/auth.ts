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

/** Why a user sets their own password with a token: a new account's invitation, or a reset. */
export type PasswordTokenPurpose = 'invite' | 'reset';

/** `POST /api/users/:id/password-link`: a one-time link for a user to set their own password. */
export interface PasswordLink {
  userId: string;
  username: string;
  purpose: PasswordTokenPurpose;
  token: string;
  expiresAt: string;
}

/** `POST /api/users/:id/password-link` with `send`: the token went to the user's address only, so the answer names the address, masked. */
export interface SentPasswordLink {
  userId: string;
  username: string;
  purpose: PasswordTokenPurpose;
  sentTo: string;
  expiresAt: string;
}

/** A password set for a user; `POST /api/auth/password-reset` answers with its `username`. */
export interface PasswordSet {
  userId: string;
  username: string;
  /** Live refresh tokens of the user that were revoked: every session must sign in again. */
  refreshTokensRevoked: number;
}
