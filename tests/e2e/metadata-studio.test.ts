/**
 * Acceptance scenario 14 in the browser, each role signed in through the login screen: the
 * analyst designs "Engineering Problem" in the Metadata Studio (entity, form, list, workflow,
 * permissions) and submits it; the reviewer publishes it; the operator finds it in the menu and
 * creates a record; the analyst adds a field to the core inspection form, which the tenant's
 * inspector then sees; rollback hides it again. Screenshots go to docs/images.
 */
import { join } from 'node:path';
import { choose, signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

const IMAGES = join(__dirname, '..', '..', 'docs', 'images');

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  // Five roles sign in, several times each: more than the default ten logins a minute.
  starting = startHarness({ width: 1440, height: 900 }, { MES_RATE_LIMIT_LOGIN: '100' });
  harness = await starting;
  harness.page.on('response', (response) => {
    if (response.status() === 429 || response.status() >= 500)
      refused.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
}, 120_000);

/** Answers no screen should meet: the API budget spent (429) or a server error. */
const refused: string[] = [];
afterEach(() => {
  expect(refused.splice(0)).toEqual([]);
});

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

async function shot(name: string): Promise<void> {
  await harness.page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true });
}

async function openStudioChangeSet(title: string): Promise<void> {
  const { page } = harness;
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.waitForURL(/\/studio$/).catch((error: Error) => {
    throw new Error(`${error.message}\nThe page stayed at ${page.url()}`);
  });
  await page.locator('[data-table="change-sets"] tr', { hasText: title }).first().click();
  await page.waitForSelector('[data-field="change-set-status"]');
}

/** A call to the API with the token of whoever is signed in to the page. */
async function callApi<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const token = await harness.page.evaluate<string>(
    "JSON.parse(localStorage.getItem('mes.session')).accessToken",
  );
  const response = await fetch(`${harness.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Opens a folded group of the side menu and waits, as its user would, until its items have slid open. */
async function menuGroup(label: string): Promise<void> {
  const title = harness.page.locator('.el-sub-menu__title', { hasText: label }).first();
  if (!(await title.count())) return;
  await title.click();
  // Element Plus slides the items open under a max-height; the style is cleared when the slide ends.
  await title.locator('xpath=..').locator(':scope > .el-menu--inline:not([style*="max-height"])').waitFor();
}

/** Opens every folded sub-menu of the side menu: a folded one's items are built only once it opens. */
async function openEveryMenuGroup(): Promise<void> {
  const folded = harness.page.locator('.mes-aside .el-sub-menu:not(.is-opened) > .el-sub-menu__title');
  while (await folded.count()) await folded.first().click();
}

async function addField(name: string, type: string): Promise<void> {
  const { page } = harness;
  await page.fill('[data-field="new-field-name"]', name);
  await choose(harness.page, page.locator('[data-field="new-field-type"]'), type);
  await page.click('[data-action="add-field"]');
  await page.fill(`[data-field="label-en-${name}"]`, name.replace(/_/g, ' '));
  await page.fill(`[data-field="label-zh-${name}"]`, name);
}

test('the analyst designs Engineering Problem, a reviewer publishes it, an operator creates one', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'analyst');
  await menuGroup('System');
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.waitForURL(/\/studio$/);
  await page.fill('[data-field="change-set-title"]', 'Engineering problems');
  await page.click('[data-action="new-change-set"]');
  await page.waitForSelector('[data-field="change-set-status"]');

  // Entity designer.
  await page.fill('[data-field="new-entity-name"]', 'engineering_problem');
  await page.click('[data-action="add-entity"]');
  await choose(harness.page, page.locator('[data-field="entity-module"]'), 'quality');
  await page.fill('[data-field="entity-label-en"]', 'Engineering problem');
  await page.fill('[data-field="entity-label-zh"]', '工程问题');
  for (const [name, type] of [
    ['ep_no', 'string'],
    ['title', 'string'],
    ['severity', 'enum'],
    ['owner', 'relation'],
    ['due_date', 'date'],
    ['description', 'text'],
    ['attachments', 'file'],
  ])
    await addField(name, type);
  await page.fill('[data-field="identifier-pattern"]', 'EP-{YYYYMMDD}-{seq:3}');
  await choose(harness.page, page.locator('[data-field="entity-display"]'), 'title');
  expect(await page.locator('[data-field="next-codes"]').innerText()).toMatch(/EP-\d{8}-001, EP-\d{8}-002/);
  await page.click('[data-action="options-severity"]');
  await page.fill(
    '[data-field="enum-values"]:visible',
    'LOW=Low|低\nMEDIUM=Medium|中\nHIGH=High|高\nCRITICAL=Critical|严重',
  );
  await page.keyboard.press('Escape');
  await page
    .locator('[data-table="fields"] tr', { hasText: 'title' })
    .locator('.el-checkbox')
    .first()
    .click();
  await shot('studio-entity-designer');

  // Workflow designer: OPEN → IN_ANALYSIS → RESOLVED → CLOSED.
  await page.locator('.el-tabs__item', { hasText: 'Workflows' }).click();
  await page.click('[data-action="add-workflow"]');
  for (const state of ['IN_ANALYSIS', 'RESOLVED', 'CLOSED']) {
    await page.fill('[data-field="new-state"]', state);
    await page.click('[data-action="add-state"]');
  }
  // New states are unreachable until transitions lead to them: the designer flags them.
  await page.waitForSelector('[data-field="workflow-findings"]');
  expect(await page.locator('[data-field="workflow-findings"]').innerText()).toContain('IN_ANALYSIS');
  await page.locator('.mes-studio-row', { hasText: 'CLOSED' }).locator('.el-checkbox').click();
  for (const [action, from, to] of [
    ['analyse', 'OPEN', 'IN_ANALYSIS'],
    ['resolve', 'IN_ANALYSIS', 'RESOLVED'],
    ['close', 'RESOLVED', 'CLOSED'],
  ]) {
    await page.fill('[data-field="new-action"]', action);
    await choose(harness.page, page.locator('[data-field="new-from"]'), from);
    await choose(harness.page, page.locator('[data-field="new-to"]'), to);
    await page.click('[data-action="add-transition"]');
  }
  // resolve and close (rows 2 and 3) are for quality inspectors.
  for (const row of [1, 2])
    await choose(
      harness.page,
      page.locator('[data-table="transitions"] .el-table__body tr').nth(row).locator('.el-select').nth(2),
      'quality_inspector',
    );
  // Inspectors do not hold engineering_problem:resolve yet: the designer says nobody can resolve.
  await page.locator('[data-field="workflow-findings"]', { hasText: 'resolve' }).waitFor();
  // A transition's details (its row expanded): resolve may take the owner, which is read-only for it
  // while the problem is CRITICAL; whoever edited the severity may not close the problem.
  const transitionRows = page.locator('[data-table="transitions"] .el-table__body tr.el-table__row');
  await transitionRows.nth(2).locator('.el-table__expand-icon').click();
  const closing = page.locator('[data-transition="close"]');
  await closing.locator('[data-field="sod-editors-close"]').click();
  await choose(harness.page, closing.locator('[data-field="sod-fields-close"]'), /^severity$/);
  await transitionRows.nth(1).locator('.el-table__expand-icon').click();
  const resolving = page.locator('[data-transition="resolve"]');
  await choose(harness.page, resolving.locator('[data-field="optional-fields-resolve"]'), /^owner$/);
  const ownerReadonly = resolving.locator('[data-expression="resolve-readonlyWhen-owner"] input');
  await ownerReadonly.fill('sevrity');
  await resolving.locator('[data-error="resolve-readonlyWhen-owner"]', { hasText: 'sevrity' }).waitFor();
  await ownerReadonly.fill('');
  await ownerReadonly.pressSequentially('sev');
  await page.locator('.mes-studio-completion:visible [data-suggestion="severity"]').click();
  expect(await ownerReadonly.inputValue()).toBe('severity');
  await ownerReadonly.pressSequentially(" == 'CRITICAL'");
  await resolving.locator('[data-error="resolve-readonlyWhen-owner"]').waitFor({ state: 'detached' });

  // Permission matrix: operators read, create and analyse; inspectors everything.
  await page.locator('.el-tabs__item', { hasText: 'Permissions' }).click();
  for (const cell of [
    'operator:read',
    'operator:create',
    'operator:analyse',
    'quality_inspector:read',
    'quality_inspector:resolve',
    'quality_inspector:close',
    'quality_inspector:analyse',
  ])
    await page.locator(`[data-cell="${cell}"]`).click();
  await page.locator('[data-field="in-menu"]').click();
  await page.locator('.el-tabs__item', { hasText: 'Workflows' }).click();
  await page.waitForSelector('[data-field="workflow-graph"] .vue-flow__node');
  await page.locator('[data-field="workflow-findings"]').waitFor({ state: 'hidden' });
  await transitionRows.nth(1).locator('.el-table__expand-icon').click();
  await page.locator('[data-transition="resolve"]').waitFor();
  await shot('studio-workflow-designer');

  // List designer: filters and quick search.
  await page.locator('.el-tabs__item', { hasText: 'Lists' }).click();
  for (const column of ['ep_no', 'title', 'severity', 'status'])
    await choose(harness.page, page.locator('[data-field="list-columns"]'), column);
  for (const filter of ['severity', 'status'])
    await choose(harness.page, page.locator('[data-field="list-filters"]'), filter);
  expect(await page.locator('[data-field="implied-indexes"]').innerText()).toContain('severity');

  // Form designer: two sections, fields dragged from the palette; the live preview renders them.
  await page.locator('.el-tabs__item', { hasText: 'Forms' }).click();
  await page.click('[data-action="add-section"]');
  await page.fill('[data-field="section-0-en"]', 'Problem');
  await page.fill('[data-field="section-0-zh"]', '问题');
  await page.fill('[data-field="section-1-en"]', 'Ownership');
  await page.fill('[data-field="section-1-zh"]', '责任');
  for (const [field, zone] of [
    ['title', 'section-0'],
    ['severity', 'section-0'],
    ['description', 'section-0'],
    ['owner', 'section-1'],
    ['due_date', 'section-1'],
    ['attachments', 'section-1'],
  ])
    await page
      .locator(`[data-field-chip="${field}"]`)
      .dragTo(page.locator(`[data-zone="${zone}"]`), { targetPosition: { x: 3, y: 3 } });
  await page.waitForSelector('[data-field="form-preview"] input[name="title"]');
  // Read-only when: field names complete as the analyst types; an unknown name is flagged at once.
  const readonlyWhen = page.locator('[data-expression="description-readonlyWhen"] input');
  await readonlyWhen.fill('sevrity');
  await page.locator('[data-error="description-readonlyWhen"]', { hasText: 'sevrity' }).waitFor();
  await readonlyWhen.fill('');
  await readonlyWhen.pressSequentially('sev');
  await page.locator('.mes-studio-completion:visible [data-suggestion="severity"]').click();
  expect(await readonlyWhen.inputValue()).toBe('severity');
  await readonlyWhen.pressSequentially(" == 'CRITICAL'");
  await page.locator('[data-error="description-readonlyWhen"]').waitFor({ state: 'detached' });
  await page.waitForSelector('[data-field="form-preview"] textarea[name="description"]');
  await shot('studio-form-designer');

  await page.click('[data-action="save"]');
  await page.waitForSelector('[data-field="studio-message"]');
  await page.locator('.el-tabs__item', { hasText: 'Preview' }).click();
  await page.click('[data-action="validate"]');
  await page.locator('[data-field="studio-message"]', { hasText: 'valid' }).waitFor();
  expect(await page.locator('[data-field="studio-diff"]').innerText()).toContain(
    'createTable engineering_problem',
  );
  await shot('studio-preview');
  await page.click('[data-action="submit"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'IN_REVIEW' }).waitFor();
  // The analyst holds metadata:edit only: no publish button.
  expect(await page.locator('[data-action="publish"]').count()).toBe(0);

  await signInThroughLogin(harness, 'reviewer');
  await menuGroup('System');
  await openStudioChangeSet('Engineering problems');
  await page.click('[data-action="publish"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'PUBLISHED' }).waitFor();
  await shot('studio-published');
  // What the workflow designer wrote is what the server validated and now serves.
  const served = await callApi<{ data: { layer: { documents: Record<string, unknown>[] } } }>(
    'GET',
    '/api/studio/published',
  );
  const lifecycle = served.body.data.layer.documents.find(
    (d) => Object.keys(d)[0] === 'workflow' && d.workflow === 'engineering_problem_lifecycle',
  ) as { transitions: Record<string, unknown>[] };
  expect(lifecycle.transitions).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        action: 'resolve',
        optionalFields: ['owner'],
        readonlyWhen: { owner: "severity == 'CRITICAL'" },
      }),
      expect.objectContaining({
        action: 'close',
        separationOfDuties: { editors: true, fields: ['severity'] },
      }),
    ]),
  );

  await signInThroughLogin(harness, 'operator');
  // The studio placed the entity in a menu of its own, which the operator's grants reveal.
  await menuGroup('Engineering problem');
  await page.locator('.el-menu-item:visible', { hasText: 'Engineering problem' }).first().click();
  await page.waitForURL(/\/e\/engineering-problems$/);
  await page.locator('button', { hasText: 'New' }).click();
  await page.waitForSelector('input[name="title"]');
  // The description is read-only while the severity is CRITICAL.
  await choose(harness.page, page.locator('#engineering_problem__severity'), /critical/i);
  await page.locator('textarea[name="description"]:disabled').waitFor();
  await choose(harness.page, page.locator('#engineering_problem__severity'), /high/i);
  await page.locator('textarea[name="description"]:enabled').waitFor();
  await page.fill('input[name="title"]', 'Housing cracks at the boss');
  await page.click('[data-action="save"]');
  await page.waitForURL(/\/e\/engineering-problems\/\d+$/);
  const problems = await fetch(`${harness.baseUrl}/api/engineering-problems`, {
    headers: {
      authorization: `Bearer ${await page.evaluate<string>("JSON.parse(localStorage.getItem('mes.session')).accessToken")}`,
    },
  }).then((r) => r.json() as Promise<{ data: { items: { epNo: string; title: string }[] } }>);
  expect(problems.data.items[0]).toMatchObject({ title: 'Housing cracks at the boss' });
  expect(problems.data.items[0].epNo).toMatch(/^EP-\d{8}-001$/);
  await shot('studio-operator-record');
}, 300_000);

test("the analyst adds a field to the core inspection form; the tenant's inspector sees it until rollback", async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'analyst');
  await menuGroup('System');
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.fill('[data-field="change-set-title"]', 'Line stop on inspections');
  await page.click('[data-action="new-change-set"]');
  await page.waitForSelector('[data-field="change-set-status"]');
  await page.locator('.el-tabs__item', { hasText: 'Core entities' }).click();
  await choose(harness.page, page.locator('[data-field="core-entity"]'), /^inspection$/);
  await page.fill('[data-field="core-field-name"]', 'line_stopped');
  await choose(harness.page, page.locator('[data-field="core-field-type"]'), 'boolean');
  await page.fill('[data-field="core-field-en"]', 'Line stopped');
  await page.fill('[data-field="core-field-zh"]', '停线');
  await choose(harness.page, page.locator('[data-field="core-field-section"]'), 'Inspection');
  await page.click('[data-action="add-core-field"]');
  // This tenant's inspection form calls the remarks "Observations"; the shipped file stays as it is.
  await choose(harness.page, page.locator('[data-field="override-entity"]'), /^inspection$/);
  await page.fill('[data-field="override-remarks-labelEn"]', 'Observations');
  await page.fill('[data-field="override-remarks-helpEn"]', 'What the inspector saw');
  await page.click('[data-action="up-remarks"]');
  await page.locator('[data-field="override-entity"]').scrollIntoViewIfNeeded();
  await shot('studio-core-overrides');
  await page.click('[data-action="save"]');
  await page.locator('[data-field="studio-message"]', { hasText: 'Saved' }).waitFor();
  await page.click('[data-action="submit"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'IN_REVIEW' }).waitFor();
  await shot('studio-core-field');

  await signInThroughLogin(harness, 'reviewer');
  await menuGroup('System');
  await openStudioChangeSet('Line stop on inspections');
  await page.click('[data-action="publish"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'PUBLISHED' }).waitFor();

  await signInThroughLogin(harness, 'inspector');
  await page.goto(`${harness.baseUrl}/e/inspections/new`);
  await page.waitForSelector('input[name="lineStopped"]');
  await page.locator('.formkit-outer', { hasText: 'Observations' }).first().waitFor();
  await shot('studio-inspection-field');

  await signInThroughLogin(harness, 'reviewer');
  await menuGroup('System');
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  const versions = page.locator('[data-table="versions"]');
  await versions.locator('[data-action^="rollback-"]').first().click();
  await page.waitForSelector('.el-message--success');
  await shot('studio-history');

  await signInThroughLogin(harness, 'inspector');
  await page.goto(`${harness.baseUrl}/e/inspections/new`);
  await page.waitForSelector('input[name="inspectionDate"], input[name="refId"]');
  expect(await page.locator('input[name="lineStopped"]').count()).toBe(0);
}, 300_000);

test('the analyst renames and archives fields of a published entity; only an admin drops the column', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'analyst');
  await menuGroup('System');
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.fill('[data-field="change-set-title"]', 'Details instead of description');
  await page.click('[data-action="new-change-set"]');
  await page.waitForSelector('[data-field="change-set-status"]');
  await choose(harness.page, page.locator('[data-field="edit-published"]'), 'engineering_problem');
  await page.click('[data-action="rename-description"]');
  await page.locator('.el-message-box__input input').fill('details');
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.waitForSelector('[data-field="label-en-details"]');
  await page.click('[data-action="archive-due_date"]');
  expect(await page.locator('[data-field="label-en-due_date"]').count()).toBe(0);
  await page.click('[data-action="save"]');
  await page.locator('[data-field="studio-message"]', { hasText: 'Saved' }).waitFor();
  await page.click('[data-action="submit"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'IN_REVIEW' }).waitFor();

  // The reviewer sees the column a destructive publish would drop, but may not drop it.
  await signInThroughLogin(harness, 'reviewer');
  await menuGroup('System');
  await openStudioChangeSet('Details instead of description');
  await page.locator('.el-tabs__item', { hasText: 'Preview' }).click();
  expect(await page.locator('[data-field="dropped-steps"]').innerText()).toContain(
    'engineering_problem.due_date',
  );
  expect(await page.locator('[data-action="publish-destructive"]').count()).toBe(0);

  await signInThroughLogin(harness, 'admin');
  await menuGroup('System');
  await openStudioChangeSet('Details instead of description');
  await page.locator('.el-tabs__item', { hasText: 'Preview' }).click();
  await shot('studio-destructive');
  const csNo = (await page.locator('h2').first().innerText()).split(' ')[0];
  await page.click('[data-action="publish-destructive"]');
  await page.locator('.el-message-box__input input').fill(csNo);
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator('[data-field="change-set-status"]', { hasText: 'PUBLISHED' }).waitFor();

  await signInThroughLogin(harness, 'operator');
  await page.goto(`${harness.baseUrl}/e/engineering-problems/new`);
  await page.waitForSelector('textarea[name="details"]');
  expect(await page.locator('[name="dueDate"]').count()).toBe(0);
}, 300_000);

test('the analyst builds a dashboard with a live preview; a reviewer publishes it; the planner opens it from the menu', async () => {
  const { page } = harness;
  await signInThroughLogin(harness, 'analyst');
  await menuGroup('System');
  await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
  await page.fill('[data-field="change-set-title"]', 'Line load dashboard');
  await page.click('[data-action="new-change-set"]');
  await page.waitForSelector('[data-field="change-set-status"]');
  await page.locator('.el-tabs__item', { hasText: 'Dashboards' }).click();
  await page.fill('[data-field="new-dashboard-name"]', 'line_load');
  await page.click('[data-action="add-dashboard"]');
  await page.fill('[data-field="dashboard-label-en"]', 'Line load');
  await page.fill('[data-field="dashboard-label-zh"]', '产线负荷');
  await choose(harness.page, page.locator('[data-field="dashboard-roles"]'), 'Production planner');

  await page.click('[data-action="add-widget"]');
  const widget = page.locator('[data-widget-editor="widget_1"]');
  await choose(harness.page, widget.locator('[data-field="widget-type"]'), /^stacked$/);
  await widget.locator('[data-field="widget-title-en"]').fill('Planned quantity by line and status');
  await widget.locator('[data-field="widget-title-zh"]').fill('各产线计划数量');
  await choose(harness.page, widget.locator('[data-field="widget-entity"]'), /^work_order$/);
  await choose(harness.page, widget.locator('[data-field="widget-measure"]'), /^sum$/);
  await choose(harness.page, widget.locator('[data-field="widget-measure-field"]'), /^planned_quantity$/);
  await choose(harness.page, widget.locator('[data-field="widget-group-by"]'), /^line\.line_code$/);
  await choose(harness.page, widget.locator('[data-field="widget-series-by"]'), /^status$/);
  await choose(harness.page, widget.locator('[data-field="widget-dimension-line"]'), /^line$/);

  await page.click('[data-action="add-widget"]');
  const card = page.locator('[data-widget-editor="widget_2"]');
  await choose(harness.page, card.locator('[data-field="widget-type"]'), /^card$/);
  await card.locator('[data-field="widget-title-en"]').fill('Scrap rate');
  await card.locator('[data-field="widget-title-zh"]').fill('报废率');
  await card.locator('[data-field="widget-source"] .el-radio-button', { hasText: 'KPI' }).click();
  await choose(harness.page, card.locator('[data-field="widget-kpi"]'), /scrap_rate/);

  await page.click('[data-action="preview-dashboard"]');
  await page.waitForSelector('[data-field="dashboard-preview"] [data-widget="widget_1"] canvas');
  await page.waitForSelector('[data-field="dashboard-preview"] [data-widget="widget_2"] .mes-kpi-value');
  await page.locator('[data-field="dashboard-preview"]').scrollIntoViewIfNeeded();
  await shot('studio-dashboard-designer');

  await page.click('[data-action="save"]');
  await page.locator('[data-field="studio-message"]', { hasText: 'Saved' }).waitFor();
  await page.click('[data-action="submit"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'IN_REVIEW' }).waitFor();

  await signInThroughLogin(harness, 'reviewer');
  await menuGroup('System');
  await openStudioChangeSet('Line load dashboard');
  await page.click('[data-action="publish"]');
  await page.locator('[data-field="change-set-status"]', { hasText: 'PUBLISHED' }).waitFor();

  await signInThroughLogin(harness, 'planner');
  await menuGroup('Dashboards');
  await page.locator('.el-menu-item:visible', { hasText: 'Line load' }).click();
  await page.waitForURL(/\/dashboards\/line_load$/);
  await page.waitForSelector('[data-widget="widget_1"] canvas');
  expect(await page.locator('[data-view="dashboard"] h2').innerText()).toBe('Line load');
}, 300_000);

test('the analyst renames an entity (its old path keeps answering) and archives it (out of the menu, writes refused)', async () => {
  const { page } = harness;
  const editEntity = async (title: string): Promise<void> => {
    await signInThroughLogin(harness, 'analyst');
    await menuGroup('System');
    await page.locator('.el-menu-item', { hasText: 'Metadata Studio' }).click();
    await page.waitForURL(/\/studio$/);
    await page.fill('[data-field="change-set-title"]', title);
    await page.click('[data-action="new-change-set"]');
    await page.waitForSelector('[data-field="change-set-status"]');
    await choose(harness.page, page.locator('[data-field="edit-published"]'), 'engineering_problem');
    await page.waitForSelector('[data-entity="engineering_problem"]');
  };
  const submitAndPublish = async (title: string): Promise<void> => {
    await page.click('[data-action="save"]');
    await page.locator('[data-field="studio-message"]', { hasText: 'Saved' }).waitFor();
    await page.click('[data-action="validate"]');
    await page.locator('[data-field="studio-message"]', { hasText: 'is valid' }).waitFor();
    await page.click('[data-action="submit"]');
    await page.locator('[data-field="change-set-status"]', { hasText: 'IN_REVIEW' }).waitFor();
    await signInThroughLogin(harness, 'reviewer');
    await menuGroup('System');
    await openStudioChangeSet(title);
    await page.click('[data-action="publish"]');
    await page.locator('[data-field="change-set-status"]', { hasText: 'PUBLISHED' }).waitFor();
  };

  // Rename: a new label and API path; the designer keeps the old path as an alias and the menu's
  // labels (copied from the entity's) follow.
  await editEntity('Engineering issues');
  await page.fill('[data-field="entity-label-en"]', 'Engineering issue');
  await page.fill('[data-field="entity-label-zh"]', '工程议题');
  await page.fill('[data-field="entity-path"]', 'engineering-issues');
  await submitAndPublish('Engineering issues');

  await signInThroughLogin(harness, 'operator');
  await menuGroup('Engineering issue');
  await page.locator('.el-menu-item:visible', { hasText: 'Engineering issue' }).first().click();
  await page.waitForURL(/\/e\/engineering-issues$/);
  await page.waitForSelector('.el-table__row');
  expect(await page.locator('.el-sub-menu__title', { hasText: 'Engineering problem' }).count()).toBe(0);
  const viaOld = await callApi<{ data: { items: { id: number; title: string; version: number }[] } }>(
    'GET',
    '/api/engineering-problems',
  );
  expect(viaOld.status).toBe(200);
  expect(viaOld.body.data.items[0]).toMatchObject({ title: 'Housing cracks at the boss' });
  const record = viaOld.body.data.items[0];

  // Archive: out of every menu, records read-only.
  await editEntity('Archive engineering issues');
  await page.locator('[data-field="entity-archived"]').click();
  await submitAndPublish('Archive engineering issues');

  await signInThroughLogin(harness, 'operator');
  await page.locator('.el-sub-menu__title').first().waitFor();
  expect(await page.locator('.el-sub-menu__title', { hasText: 'Engineering issue' }).count()).toBe(0);
  await openEveryMenuGroup();
  expect(await page.locator('.el-menu-item', { hasText: 'Engineering issue' }).count()).toBe(0);
  const read = await callApi<{ data: { title: string } }>('GET', `/api/engineering-issues/${record.id}`);
  expect(read).toMatchObject({ status: 200, body: { data: { title: 'Housing cracks at the boss' } } });
  for (const [method, path, body] of [
    ['POST', '/api/engineering-issues', { title: 'After archiving' }],
    ['POST', '/api/engineering-problems', { title: 'Through the old path' }],
  ] as const) {
    const refused = await callApi<{ errors: { rule: string }[] }>(method, path, body);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ rule: 'archived' })]);
  }
}, 300_000);
