/** Envelope-aware fetch for `/api`: unwraps `data`, throws ApiError with the server's code and field errors. */
export interface FieldError {
  field: string;
  path?: string;
  rule?: string;
  message: string;
}

/** One failing row of a bulk request (`row` is its index in the request). */
export interface RowError {
  row: number;
  message: string;
  errors?: FieldError[];
}

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

interface Envelope<T> {
  code: string;
  message: string;
  data: T;
}

let accessToken: string | null = sessionStorage.getItem('mes.accessToken');

export function setAccessToken(token: string | null): void {
  accessToken = token;
  if (token) sessionStorage.setItem('mes.accessToken', token);
  else sessionStorage.removeItem('mes.accessToken');
}

export function authHeaders(): Record<string, string> {
  return accessToken ? { authorization: `Bearer ${accessToken}` } : {};
}

export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const envelope = (text ? JSON.parse(text) : {}) as Partial<Envelope<T>> & {
    errors?: FieldError[];
    currentVersion?: number;
    rows?: RowError[];
  };
  if (response.status === 401 && !url.startsWith('/api/auth/')) {
    setAccessToken(null);
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      envelope.code ?? String(response.status),
      envelope.message ?? response.statusText,
      envelope.errors ?? [],
      envelope.currentVersion,
      envelope.rows ?? [],
    );
  }
  return envelope.data as T;
}
