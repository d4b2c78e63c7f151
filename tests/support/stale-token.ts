/** A reply as the test servers' inject() gives it. */
interface Answer {
  statusCode: number;
  body: string;
}

/** Sends one request to the server under test (its `app.inject`). */
type Inject = (request: { method: 'POST'; url: string; payload: object }) => Promise<Answer>;

interface Pair {
  accessToken: string;
  refreshToken: string;
}

/**
 * Whether the server refused the access token as stale (401 TOKEN_STALE): what it carries changed —
 * the user's roles, or a department or line of the tenant.
 */
export function staleToken(reply: Answer): boolean {
  if (reply.statusCode !== 401) return false;
  try {
    return (JSON.parse(reply.body) as { code?: unknown }).code === 'TOKEN_STALE';
  } catch {
    return false;
  }
}

/**
 * The tokens of a test server's users, kept as the browser app keeps them: one sign-in per user, and
 * a token refused as stale renewed with its refresh token (a sign-in again when that fails too).
 */
export class TestSessions {
  private readonly pairs = new Map<string, Pair>();

  constructor(
    private readonly inject: Inject,
    /** The login body of a user (`{ username, password }`, with a tenant where needed). */
    private readonly credentials: (username: string) => object,
  ) {}

  /** The user's access token, signing in the first time. */
  async token(username: string): Promise<string> {
    return this.pairs.get(username)?.accessToken ?? this.signIn(username);
  }

  /** Signs in again: the new token carries what the user has now. */
  async signIn(username: string): Promise<string> {
    const response = await this.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: this.credentials(username),
    });
    if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.body}`);
    const pair = (JSON.parse(response.body) as { data: Pair }).data;
    this.pairs.set(username, pair);
    return pair.accessToken;
  }

  /** Renews a token the server refused as stale. */
  async renew(username: string): Promise<void> {
    const refreshToken = this.pairs.get(username)?.refreshToken;
    this.pairs.delete(username);
    if (!refreshToken) return;
    const response = await this.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken },
    });
    if (response.statusCode === 200)
      this.pairs.set(username, (JSON.parse(response.body) as { data: Pair }).data);
  }

  forget(username: string): void {
    this.pairs.delete(username);
  }

  /** Sends as the user; a token refused as stale is renewed and the request sent once more. */
  async send<T extends Answer>(username: string, request: (token: string) => Promise<T>): Promise<T> {
    const reply = await request(await this.token(username));
    if (!staleToken(reply)) return reply;
    await this.renew(username);
    return request(await this.token(username));
  }
}
