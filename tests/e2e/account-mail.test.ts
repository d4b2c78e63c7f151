/**
 * Accounts by e-mail in the browser, with a local SMTP sink as the users' mailboxes: the administrator
 * opens a user from the Users list and invites them by e-mail; the user opens the link from the mail,
 * chooses a password and signs in. Later they forget it, ask for a reset link on the sign-in screen and
 * choose a new one. Any console error or failed request the test did not expect fails it, and axe-core
 * must find no serious or critical violation.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { DEMO_PASSWORD, startHarness, type BrowserHarness } from './browser-harness';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Mail {
  to: string;
  subject: string;
  body: string;
}

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;
let smtp: SMTPServer | undefined;
const mails: Mail[] = [];
const problems: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
          body: raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp!.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  starting = startHarness(undefined, { SMTP_URL: `smtp://127.0.0.1:${port}` });
  harness = await starting;
  watch(harness.page);
}, 120_000);

afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

function watch(page: Page): void {
  page.on('console', (message) => {
    if (message.type() !== 'error' || message.text().startsWith('Failed to load resource')) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    if (!/ERR_ABORTED/.test(reason)) problems.push(`request failed: ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
}

async function expectAccessible(page: Page): Promise<void> {
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(AXE_SOURCE);
  await page
    .locator('.el-overlay:visible, .is-closing')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
  await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
  const violations = await page.evaluate<string[]>(`axe.run({ resultTypes: ['violations'] }).then((result) =>
    result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
  expect(violations).toEqual([]);
}

/** The link of the newest mail to the address, once it arrived (sending may run after the answer). */
async function linkMailedTo(address: string, count: number): Promise<{ subject: string; link: string }> {
  for (let i = 0; i < 400; i++) {
    const received = mails.filter((mail) => mail.to === address);
    if (received.length >= count) {
      const mail = received[count - 1]!;
      const link = /(http:\/\/127\.0\.0\.1:\d+\/set-password\?token=[A-Za-z0-9_-]+)/.exec(mail.body)?.[1];
      if (!link) throw new Error(`no link in ${mail.body}`);
      return { subject: mail.subject, link };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail #${count} to ${address}`);
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('.mes-login-submit');
  await page.waitForSelector('.mes-shell');
}

async function choosePassword(page: Page, link: string, password: string): Promise<void> {
  await page.goto(link);
  await page.fill('#set-password', password);
  await page.fill('#set-password-repeat', password);
  await page.click('[data-action="save-password"]');
  await page.waitForSelector('.el-result');
}

test('an administrator invites a user by e-mail; the user sets a password from the mail, signs in, and later resets it', async () => {
  const { page } = harness;
  const department = (await harness.apiGet<{ items: { id: number }[] }>('/api/departments?pageSize=1'))
    .items[0]!;
  await harness.apiSend('POST', '/api/users', {
    username: 'e2e.mailed',
    realName: 'Mailed operator',
    email: 'mailed@plant.test',
    departmentId: department.id,
    locale: 'en',
  });

  await page.goto(`${harness.baseUrl}/login`);
  await signIn(page, 'admin', DEMO_PASSWORD);
  await page.goto(`${harness.baseUrl}/e/users`);
  await page.fill('input[name="search"]', 'e2e.mailed');
  await page.keyboard.press('Enter');
  const row = page.locator('.mes-list-table .el-table__row', { hasText: 'e2e.mailed' });
  await row.first().locator('a').first().click();
  await page.waitForSelector('[data-role="user-account"]');
  await page.click('[data-action="invite-mail"]');
  await page.waitForSelector('[data-role="link-mailed"]');
  expect(await page.locator('[data-role="link-mailed"]').innerText()).toContain('m***@plant.test');
  await expectAccessible(page);

  const invitation = await linkMailedTo('mailed@plant.test', 1);
  expect(invitation.subject).toBe('Your BTC MES account');
  await page.evaluate("localStorage.removeItem('mes.session')");
  await choosePassword(page, invitation.link, 'Mailed-Shift-2026!');
  await page.click('.el-result [type="button"], .el-result button');
  await page.waitForSelector('#login-username');
  await signIn(page, 'e2e.mailed', 'Mailed-Shift-2026!');
  // A user without user:reset_password sees no password tools.
  expect(await page.locator('[data-role="user-account"]').count()).toBe(0);

  await page.evaluate("localStorage.removeItem('mes.session')");
  await page.goto(`${harness.baseUrl}/login`);
  await expectAccessible(page);
  await page.click('[data-action="forgot-password"]');
  await page.waitForSelector('#forgot-username');
  await expectAccessible(page);
  await page.fill('#forgot-username', 'e2e.mailed');
  await page.click('[data-action="send-reset-link"]');
  await page.waitForSelector('[data-role="reset-sent"]');
  await harness.screenshot('forgot-password-sent');
  const reset = await linkMailedTo('mailed@plant.test', 2);
  expect(reset.subject).toBe('Reset your BTC MES password');
  await choosePassword(page, reset.link, 'Reset-Shift-2026!');
  await expectAccessible(page);
  await page.goto(`${harness.baseUrl}/login`);
  await signIn(page, 'e2e.mailed', 'Reset-Shift-2026!');
}, 180_000);
