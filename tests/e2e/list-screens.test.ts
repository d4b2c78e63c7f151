/**
 * The list screen renders the generated list definition of a shipped entity (the server confirms it
 * with `list: null`) and the served one when the caller's differs: its columns, in order, and its
 * default sort; a column the caller may not read never shows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListDefinition, ServedList } from '../../platform/src/contracts/list';
import { openApp, signInThroughLogin, startHarness, type BrowserHarness } from './browser-harness';

let harness: BrowserHarness;
let starting: Promise<BrowserHarness> | undefined;

beforeAll(async () => {
  starting = startHarness();
  harness = await starting;
}, 120_000);

// A start that outlived the hook's timeout is awaited, so its server and browser are closed too.
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.close();
});

function generatedList(file: string): ListDefinition {
  const path = join(__dirname, '..', '..', 'ui-runtime', 'src', 'generated', 'lists', file);
  return JSON.parse(readFileSync(path, 'utf8')) as ListDefinition;
}

function englishLabel(label: ListDefinition['label']): string {
  return typeof label === 'string' ? label : (label.en ?? '');
}

/**
 * Opens a list screen by `open` (a typed address, or the menu) and returns the list definition the
 * server answered with.
 */
async function openList(entity: string, open: () => Promise<unknown>): Promise<ServedList> {
  const { page } = harness;
  const answer = page.waitForResponse((r) => r.url().includes(`/api/ui/lists/${entity}`));
  await open();
  const served = ((await (await answer).json()) as { data: ServedList }).data;
  await page.waitForSelector('.mes-list-table .el-table__row');
  return served;
}

async function columnHeaders(): Promise<string[]> {
  const texts = await harness.page.locator('.mes-list-table th.is-sortable .cell').allInnerTexts();
  return texts.map((t) => t.trim());
}

test('a shipped entity lists with its generated definition: its columns in order, sorted by its default sort', async () => {
  const generated = generatedList('work-order.list.json');
  const served = await openList('work_order', () => openApp(harness, '/e/work-orders'));
  expect(served).toMatchObject({ hash: generated.hash, list: null });

  expect(await columnHeaders()).toEqual(generated.columns.map((c) => englishLabel(c.label)));
  const [sortTerm] = generated.defaultSort;
  const sortedColumn = generated.columns.find((c) => c.field === sortTerm.replace(/^-/, ''));
  const sorted = harness.page.locator('.mes-list-table th[aria-sort="descending"] .cell');
  expect((await sorted.innerText()).trim()).toBe(englishLabel(sortedColumn!.label));
  await harness.screenshot('list-generated-definition');
});

test("a caller who may not read a column's field gets the served list without it, opened from the menu", async () => {
  const generated = generatedList('item-master.list.json');
  await signInThroughLogin(harness, 'operator');
  const served = await openList('item_master', async () => {
    await harness.page.click('.mes-aside .el-sub-menu__title:has-text("Master data")');
    await harness.page.click('.mes-aside .el-menu-item:has-text("Items")');
  });
  expect(served.hash).toBe(generated.hash);
  expect(served.list?.columns.map((c) => c.field)).not.toContain('unitCost');

  const headers = await columnHeaders();
  expect(headers).not.toContain('Unit cost');
  expect(headers).toEqual(
    generated.columns.filter((c) => c.field !== 'unitCost').map((c) => englishLabel(c.label)),
  );
  await harness.screenshot('list-served-for-operator');
});
