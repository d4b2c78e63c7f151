/**
 * Runs the real server (built dist, demo plant on a temp SQLite file, a free port) and Debian's
 * Chromium through playwright-core, for browser tests of the UI it serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** The repository root, whether this runs from tests/e2e (jest) or dist/tests/e2e (the UI benchmark). */
function findRoot(dir: string): string {
  if (existsSync(join(dir, 'ui-runtime', 'vite.config.ts'))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error('repository root not found');
  return findRoot(parent);
}

const ROOT = findRoot(__dirname);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'tests', 'e2e', 'screenshots');
/** Screenshots the user documentation shows (docs/ui.md), refreshed by the browser tests. */
const DOC_IMAGES = join(ROOT, 'docs', 'images');
export const DEMO_PASSWORD = 'e2e-Demo-Passw0rd!';

export interface BrowserHarness {
  baseUrl: string;
  page: Page;
  screenshot(name: string): Promise<void>;
  /** A screenshot of the visible screen for the documentation: `docs/images/<name>.png`. */
  docScreenshot(name: string): Promise<void>;
  /** `GET /api/...` as the demo admin, unwrapped from the envelope, to pick test data. */
  apiGet<T>(path: string): Promise<T>;
  /** `POST`/`PATCH`/`DELETE /api/...` with a JSON body as the demo admin, to set up test data. */
  apiSend<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/** Stops the server process and waits for it to exit, so its output pipes close. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}

async function waitForHealth(url: string, server: ChildProcess, output: () => string): Promise<void> {
  // Up to 3 minutes: the demo plant is seeded before the server answers, on a machine that may be busy.
  for (let attempt = 0; attempt < 720; attempt++) {
    if (server.exitCode !== null) throw new Error(`server exited (${server.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server did not become healthy:\n${output()}`);
}

export async function startHarness(
  viewport = { width: 1366, height: 860 },
  extraEnv: Record<string, string> = {},
): Promise<BrowserHarness> {
  const workDir = mkdtempSync(join(tmpdir(), 'mes-e2e-'));
  const port = await freePort();
  let log = '';
  const server = spawn(process.execPath, [join(ROOT, 'bin/mes.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(workDir, 'mes.sqlite')}`,
      MES_FILES_DIR: join(workDir, 'files'),
      MES_DEMO_PASSWORD: DEMO_PASSWORD,
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      // Links the server e-mails (invitations, password resets) point at this server.
      MES_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  let context: BrowserContext;
  try {
    await waitForHealth(baseUrl, server, () => log);
    context = await chromium.launchPersistentContext(join(workDir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await stopServer(server);
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  const browser = context;
  const page = browser.pages()[0] ?? (await browser.newPage());
  mkdirSync(SCREENSHOTS, { recursive: true });
  const admin = adminClient(baseUrl);
  return {
    baseUrl,
    page,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    docScreenshot: async (name) => {
      mkdirSync(DOC_IMAGES, { recursive: true });
      await page.screenshot({ path: join(DOC_IMAGES, `${name}.png`) });
    },
    apiGet: <T>(path: string): Promise<T> => admin<T>('GET', path),
    apiSend: <T>(method: string, path: string, body?: unknown): Promise<T> => admin<T>(method, path, body),
    close: async () => {
      await browser.close();
      await stopServer(server);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * API calls as the demo admin, unwrapped from the envelope. Signs in once and reuses the token (the
 * login endpoint is rate limited), signing in again when it has expired; the API may also be open.
 */
function adminClient(baseUrl: string): <T>(method: string, path: string, body?: unknown) => Promise<T> {
  let token: string | null = null;
  const signIn = async (): Promise<void> => {
    const login = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }),
    });
    token = login.ok ? ((await login.json()) as { data: { accessToken: string } }).data.accessToken : null;
  };
  const send = (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (token === null) await signIn();
    let response = await send(method, path, body);
    if (response.status === 401) {
      await signIn();
      response = await send(method, path, body);
    }
    const envelope = (await response.json()) as { data: T; message: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${envelope.message}`);
    return envelope.data;
  };
}

/** Signs in through the login screen when the server has auth; otherwise the app opens directly. */
export async function openApp(harness: BrowserHarness, path = '/'): Promise<void> {
  await harness.page.goto(`${harness.baseUrl}${path}`);
  await harness.page.waitForSelector('.mes-shell, .mes-login');
  if (await harness.page.locator('.mes-login').count()) {
    await harness.page.fill('#login-username', 'admin');
    await harness.page.fill('#login-password', DEMO_PASSWORD);
    await harness.page.click('.mes-login-submit');
    await harness.page.waitForSelector('.mes-shell');
  }
}

/**
 * Signs in as a demo user through the login screen, after dropping any session the browser keeps
 * (the page is opened again so the app starts without it), and waits for the shell.
 */
export async function signInThroughLogin(harness: BrowserHarness, username: string): Promise<void> {
  const { page } = harness;
  await page.goto(`${harness.baseUrl}/login`);
  await page.evaluate("localStorage.removeItem('mes.session')");
  await page.goto(`${harness.baseUrl}/login`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell');
}

/** Picks an option of an Element Plus select and waits for its drop-down to close. */
export async function choose(page: Page, select: Locator, option: string | RegExp): Promise<void> {
  await select.click();
  await page
    .locator('.el-select__popper:visible .el-select-dropdown__item', { hasText: option })
    .first()
    .click();
  await page.keyboard.press('Escape');
  await page.locator('.el-select__popper:visible').first().waitFor({ state: 'hidden' });
}
