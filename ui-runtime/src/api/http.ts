/** Envelope-aware fetch for `/api`: unwraps `data`, throws ApiError with the server's code and field errors. */
import type { FieldError, RowError } from '../../../platform/src/contracts/crud';
import type { ErrorEnvelope, SuccessEnvelope } from '../../../platform/src/contracts/envelope';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    /** On CONFLICT: the version the record has now. */
    readonly currentVersion?: number,
    /** On a refused bulk request: each failing row. */
    readonly rows: RowError[] = [],
  ) {
    super(message);
  }
}

/** The tokens of the signed-in session; kept in localStorage so a shop-floor tablet stays signed in. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

const STORAGE_KEY = 'mes.session';

function storedTokens(): SessionTokens | null {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as SessionTokens | null;
    return parsed?.accessToken && parsed.refreshToken ? parsed : null;
  } catch {
    return null;
  }
}

let tokens: SessionTokens | null = storedTokens();
let refreshing: Promise<boolean> | null = null;
let expiredHandler: (() => Promise<boolean>) | null = null;
let inactiveHandler: (() => void) | null = null;
/** Set when the last refresh was refused because the account is no longer active. */
let accountInactive = false;

export function setTokens(next: SessionTokens | null): void {
  tokens = next;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
}

export function currentTokens(): SessionTokens | null {
  return tokens;
}

/**
 * What to do when the session cannot be renewed (the refresh token expired or was revoked): the shell
 * asks for the password in a dialog over the screen, so nothing typed is lost, and answers whether
 * the user signed in again.
 */
export function onSessionExpired(handler: (() => Promise<boolean>) | null): void {
  expiredHandler = handler;
}

/**
 * What to do when the refresh is refused because the account was disabled (`ACCOUNT_INACTIVE`):
 * signing in again would fail too, so the shell leaves for the sign-in page and says why.
 */
export function onAccountInactive(handler: (() => void) | null): void {
  inactiveHandler = handler;
}

/**
 * The bearer token, and the app's language as `Accept-Language`: the server answers in it when nobody
 * is signed in or the user has no stored preference (a stored preference wins on the server).
 */
export function authHeaders(): Record<string, string> {
  const language = document.documentElement.lang || navigator.language;
  return {
    'accept-language': language,
    ...(tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {}),
  };
}

/** Renews the access token now, e.g. after a change the token carries (the language preference). */
export function refreshSession(): Promise<boolean> {
  return tokens ? renewSession() : Promise.resolve(false);
}

/**
 * Spends the refresh token for a new pair, once however many requests failed at the same time. Tabs
 * share the tokens, so the refresh runs under a browser-wide lock and a tab that finds a newer pair
 * stored by another tab uses it instead of spending a token that is already spent (which would revoke
 * the whole session).
 */
function renewSession(): Promise<boolean> {
  const failed = tokens?.accessToken;
  refreshing ??= withLock(async () => {
    const stored = storedTokens();
    if (stored && stored.accessToken !== failed) {
      tokens = stored;
      return true;
    }
    if (!stored) return false;
    const response = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ refreshToken: stored.refreshToken }),
    });
    if (!response.ok) {
      accountInactive = response.status === 401 && (await errorCode(response)) === 'ACCOUNT_INACTIVE';
      return false;
    }
    const pair = ((await response.json()) as SuccessEnvelope<SessionTokens>).data;
    setTokens({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
    return true;
  }).finally(() => (refreshing = null));
  return refreshing;
}

async function errorCode(response: Response): Promise<string | undefined> {
  try {
    return ((await response.json()) as Partial<ErrorEnvelope>).code;
  } catch {
    return undefined;
  }
}

function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? locks.request('mes.session.refresh', work) : work();
}

/**
 * `fetch` with the session's bearer token: a 401 renews the session silently (or through the
 * sign-in dialog) and sends the request once more, so an expired token never loses a request. A
 * token refused as stale (`TOKEN_STALE`: the user's roles or grants changed) is renewed the same
 * way, and the request is sent with the new permissions.
 */
export async function sessionFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = () =>
    fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...authHeaders() } });
  const response = await send();
  if (response.status !== 401 || url.startsWith('/api/auth/login') || url.startsWith('/api/auth/refresh'))
    return response;
  return (await renewAfterUnauthorized()) ? send() : response;
}

/** After a 401: renews the session (silently, else through the sign-in dialog); true when it may be retried. */
export async function renewAfterUnauthorized(): Promise<boolean> {
  if (tokens && (await renewSession())) return true;
  if (accountInactive) {
    accountInactive = false;
    setTokens(null);
    if (inactiveHandler) {
      inactiveHandler();
      return false;
    }
  }
  return expiredHandler !== null && (await expiredHandler());
}

export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await sessionFetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const envelope: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const failure = envelope as Partial<ErrorEnvelope>;
    throw new ApiError(
      response.status,
      failure.code ?? String(response.status),
      failure.message ?? response.statusText,
      failure.errors ?? [],
      failure.currentVersion,
      failure.rows ?? [],
    );
  }
  return (envelope as SuccessEnvelope<T>).data;
}
