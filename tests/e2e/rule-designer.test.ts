/**
 * The rule designer in the Metadata Studio, as the business analyst signed in through the login
 * screen: in a new change set the analyst drafts a rule on NCRs (trigger, a measure, a condition
 * typed with completion through relations, several steps deep, a set and a notify action), saves it
 * into the change set and tests it against a critical and a low NCR: the designer shows what the
 * rule would do and the measure's value, and nothing is written. A screenshot goes to docs/images.
 */
import { join } from 'node:path';
import { choose, signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

const IMAGES = join(__dirname, '..', '..', 'docs', 'images');

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startHarness({ width: 1440, height: 900 });
}, 180_000);

afterAll(async () => {
  await harness?.close();
});

const ncr = (title: string, severity: string) =>
  harness.apiSend<{ id: number; ncrNo: string }>('POST', '/api/ncrs', {
    title,
    source: 'IPQC',
    severity,
    category: 'PROCESS',
    description: `${title} found at final assembly`,
  });

test('the analyst drafts a rule, saves it in a change set and tests it against chosen NCRs', async () => {
  const critical = await ncr('Cracked housing at the boss', 'CRITICAL');
  const low = await ncr('Light scratch on the cover', 'LOW');
  const { page } = harness;
  await signInThroughLogin(harness, 'analyst');
  const system = page.locator('.el-sub-menu__title', { hasText: 'System' });
  if (await system.count()) await system.first().click();
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.waitForURL(/\/studio$/);
  await page.fill('[data-field="change-set-title"]', 'Contain critical NCRs');
  await page.click('[data-action="new-change-set"]');
  await page.waitForSelector('[data-field="change-set-status"]');

  await page.locator('.el-tabs__item', { hasText: 'Rules' }).click();
  // The module's served rules are listed; a shipped one is read-only.
  await page.locator('[data-rule="ncr_assign_by_department"]').click();
  await page.waitForSelector('[data-rule-editor="ncr_assign_by_department"]');

  await page.fill('[data-field="new-rule"]', 'ncr_critical_containment');
  await choose(harness.page, page.locator('[data-field="new-rule-entity"]'), /^ncr$/);
  await page.click('[data-action="add-rule"]');
  await page.waitForSelector('[data-rule-editor="ncr_critical_containment"]');
  await page.fill('[data-field="rule-label-en"]', 'Critical NCRs are contained');
  await page.fill('[data-field="rule-label-zh"]', '严重 NCR 须围堵');

  // A measure: the critical NCRs created within the last hour.
  await page.fill('[data-field="new-measure"]', 'critical_last_hour');
  await page.click('[data-action="add-measure"]');
  await page.waitForSelector('[data-rule-measure="critical_last_hour"]');
  const where = page.locator('[data-expression="measure-where-critical_last_hour"] input');
  await where.pressSequentially("severity == 'CRITICAL'");
  await page.locator('[data-error="measure-where-critical_last_hour"]').waitFor({ state: 'detached' });

  // The condition completes field names, and a step through a relation at a time, several deep.
  const when = page.locator('[data-expression="rule-when"] input');
  await when.pressSequentially('work_order.');
  await page.locator('.mes-studio-completion:visible [data-suggestion="work_order.status"]').waitFor();
  await when.pressSequentially('line.');
  await page
    .locator('.mes-studio-completion:visible [data-suggestion="work_order.line.supervisor"]')
    .waitFor();
  await when.fill('');
  await when.pressSequentially('sev');
  await page.locator('.mes-studio-completion:visible [data-suggestion="severity"]').click();
  await when.pressSequentially(" == 'CRITICAL' and containment_action == null and critical_last_hour >= 1");
  await page.locator('[data-error="rule-when"]').waitFor({ state: 'detached' });

  await choose(harness.page, page.locator('[data-field="new-rule-action"]'), /^set$/);
  await page.click('[data-action="add-rule-action"]');
  await choose(harness.page, page.locator('[data-field="add-value-0"]'), /^containment_action$/);
  await page.fill('[data-field="set-containment_action"]', 'Quarantine every affected lot');
  await choose(harness.page, page.locator('[data-field="new-rule-action"]'), /^notify$/);
  await page.click('[data-action="add-rule-action"]');
  await choose(
    harness.page,
    page.locator('[data-rule-action="1"] [data-field="notify-roles"]'),
    /^quality_manager$/,
  );
  await page.fill('[data-rule-action="1"] [data-field="notify-title-en"]', 'Critical NCR {ncr_no}');
  await page.fill('[data-rule-action="1"] [data-field="notify-title-zh"]', '严重 NCR {ncr_no}');

  await page.click('[data-action="save"]');
  await page.locator('[data-field="studio-message"]', { hasText: 'Saved' }).waitFor();

  // Test against the critical NCR: the designer lists what the rule would do.
  await choose(harness.page, page.locator('[data-field="rule-test-record"]'), `#${critical.id} `);
  await page.click('[data-action="rule-test"]');
  const result = page.locator('[data-field="rule-test-result"]');
  await result.locator('[data-holds="true"]').waitFor();
  expect(
    await result
      .locator('[data-planned]')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-planned'))),
  ).toEqual(['set', 'notify']);
  expect(await result.innerText()).toContain('Quarantine every affected lot');
  expect(await result.innerText()).toContain(`Critical NCR ${critical.ncrNo}`);
  expect(await result.innerText()).toMatch(/critical_last_hour = [1-9]/);
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(IMAGES, 'studio-rule-designer.png') });

  await choose(harness.page, page.locator('[data-field="rule-test-record"]'), `#${low.id} `);
  await page.click('[data-action="rule-test"]');
  await result.locator('[data-holds="false"]').waitFor();
  expect(await result.locator('[data-planned]').count()).toBe(0);

  // The rule is in the change set; the NCR was not touched.
  const sets = await harness.apiGet<{ items: { id: number; title: string }[] }>(
    '/api/studio/change-sets?pageSize=100',
  );
  const id = sets.items.find((s) => s.title === 'Contain critical NCRs')?.id;
  const saved = await harness.apiGet<{ content: { documents: { rule?: string; measures?: unknown }[] } }>(
    `/api/studio/change-sets/${id}`,
  );
  expect(saved.content.documents.find((d) => d.rule === 'ncr_critical_containment')?.measures).toEqual({
    critical_last_hour: {
      entity: 'ncr',
      where: "severity == 'CRITICAL'",
      window: { field: 'created_at', hours: 1 },
    },
  });
  const after = await harness.apiGet<{ containmentAction?: string | null }>(`/api/ncrs/${critical.id}`);
  expect(after.containmentAction ?? null).toBeNull();
});
