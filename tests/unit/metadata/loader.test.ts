import { join, relative } from 'node:path';
import { discoverSources, loadFile, loadMetadata, originOf } from '../../../metadata/src/loader';
import { FIXTURES } from './fixtures';

const BASE = join(FIXTURES, 'base');
const SHOP = join(BASE, 'metadata', 'modules', 'shop');

describe('metadata loader', () => {
  it('tells plugin files from core files by the plugin layout, wherever the checkout lies', () => {
    expect(originOf('/srv/mes/plugins/procurement/plugin.yaml')).toBe('procurement');
    expect(originOf('/srv/mes/plugins/procurement/metadata/entities/po.yaml')).toBe('procurement');
    expect(originOf('/srv/mes/metadata/modules/production/entities/work-order.yaml')).toBe('core');
    expect(originOf('/srv/plugins/metadata/modules/production/entities/work-order.yaml')).toBe('core');
    expect(originOf('/home/plugins/btc-mes/metadata/modules/quality/module.yaml')).toBe('core');
    expect(originOf('/home/plugins/btc-mes/plugins/maintenance/metadata/menus/m.yaml')).toBe('maintenance');
  });

  it('maps JSON pointers of a YAML document to line and column', () => {
    const { document } = loadFile(join(SHOP, 'entities', 'shop-order.yaml'), 'core');
    expect(document?.kind).toBe('entity');
    expect(document?.name).toBe('shop_order');
    const positions = document?.positions;
    expect(positions?.locate('/fields/status/values/2')).toEqual({ line: 11, col: 51 });
    expect(positions?.locate('/fields/status/values/2/color')).toEqual({ line: 11, col: 102 });
    expect(positions?.locate('/fields/status', 'key')).toEqual({ line: 11, col: 3 });
    expect(positions?.locate('/list/columns/1')).toEqual({ line: 18, col: 23 });
  });

  it('falls back to the nearest ancestor for a path absent from the file', () => {
    const { document } = loadFile(join(SHOP, 'entities', 'shop-order.yaml'), 'core');
    expect(document?.positions.locate('/fields/item/onDelete')).toEqual({ line: 8, col: 9 });
    expect(document?.positions.locate('')).toEqual({ line: 1, col: 1 });
  });

  it('locates a character inside a one-line string value, past its quote', () => {
    const { document } = loadFile(join(SHOP, 'entities', 'shop-order.yaml'), 'core');
    // cancel_note: { …, visibleWhen: "status == 'DONE' and …" }: the value's quote is at column 59.
    expect(document?.positions.locate('/fields/cancel_note/visibleWhen')).toEqual({ line: 12, col: 59 });
    expect(document?.positions.locateInValue('/fields/cancel_note/visibleWhen', 0)).toEqual({
      line: 12,
      col: 60,
    });
    expect(document?.positions.locateInValue('/fields/item/to', 2)).toEqual({ line: 8, col: 33 });
  });

  it('reads JSON with positions too', () => {
    const { document } = loadFile(join(SHOP, 'permissions', 'report-export.json'), 'core');
    expect(document?.data).toEqual({
      permission: 'report:export',
      label: { en: 'Export reports', zh: '导出报表' },
      module: 'shop',
    });
    expect(document?.positions.locate('/label/zh')).toEqual({ line: 3, col: 44 });
  });

  it('reports JSON syntax errors at their position', () => {
    const result = loadFile(join(FIXTURES, 'syntax', 'broken.json'), 'core');
    expect(result.document).toBeUndefined();
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ rule: 'yaml-syntax', line: 3, col: 20 }),
    );
  });

  it('loads core modules before plugins, and a plugin only through its manifest and metadata folder', () => {
    const sources = discoverSources(BASE).map((source) => `${source.origin} ${relative(BASE, source.file)}`);
    expect(sources[0]).toBe('core metadata/modules/shop/dashboards/shop.yaml');
    expect(sources.slice(-2)).toEqual([
      'tooling plugins/tooling/plugin.yaml',
      'tooling plugins/tooling/metadata/entities/tool.yaml',
    ]);
    expect(sources).toHaveLength(13);
  });

  it('takes a plugin folder, a folder of plugins or a single file', () => {
    const plugin = join(BASE, 'plugins', 'tooling');
    expect(discoverSources(plugin).map((source) => source.origin)).toEqual(['tooling', 'tooling']);
    expect(discoverSources(join(BASE, 'plugins'))).toHaveLength(2);
    expect(discoverSources(join(plugin, 'metadata', 'entities', 'tool.yaml'))).toEqual([
      { file: join(plugin, 'metadata', 'entities', 'tool.yaml'), origin: 'tooling' },
    ]);
  });

  it('keeps going after a broken file', () => {
    const { documents, diagnostics } = loadMetadata([join(FIXTURES, 'syntax'), BASE]);
    expect(documents).toHaveLength(13);
    expect(diagnostics).toHaveLength(6);
  });
});
