import { compileModel } from '../../../metadata/src/model';
import type { EnumValue, MetadataSet } from '../../../metadata/src/types';
import { stockStatuses } from '../../../platform/src/domain/inventory/stock-status';

/** A Model whose only entity is `stock`, with these status values and default. */
function modelWith(values: (string | EnumValue)[], defaultValue: string) {
  const set = {
    modules: new Map(),
    entities: new Map([
      [
        'stock',
        {
          entity: 'stock',
          label: { en: 'Stock', zh: '库存' },
          module: 'inventory',
          display: 'lot_no',
          fields: {
            lot_no: { type: 'string', length: 64, label: { en: 'Lot', zh: '批次' } },
            status: { type: 'enum', values, default: defaultValue, label: { en: 'Status', zh: '状态' } },
          },
        },
      ],
    ]),
    forms: new Map(),
    workflows: new Map(),
    dashboards: new Map(),
    rules: new Map(),
    roles: new Map(),
    permissions: new Map(),
    menus: new Map(),
    plugins: new Map(),
    sources: new Map(),
  } as unknown as MetadataSet;
  return compileModel(set, { version: 1 });
}

const value = (name: string, held = false): EnumValue => ({
  value: name,
  label: { en: name, zh: name },
  ...(held ? { held: true } : {}),
});

describe('stock statuses from the stock status enum', () => {
  it('reads the shipped meaning: waiting QUARANTINE, released AVAILABLE, disposed REJECTED', () => {
    const model = modelWith(
      [value('AVAILABLE'), value('RESERVED'), value('QUARANTINE', true), value('REJECTED', true)],
      'QUARANTINE',
    );
    expect(stockStatuses(model)).toEqual({
      held: ['QUARANTINE', 'REJECTED'],
      waiting: 'QUARANTINE',
      released: 'AVAILABLE',
      rejected: 'REJECTED',
    });
  });

  it("follows a plant's own names: disposed stock ends in the first held value that is not the default", () => {
    const model = modelWith(
      [value('BLOCKED', true), value('FREE'), value('HOLD', true), value('SCRAPPED', true)],
      'HOLD',
    );
    expect(stockStatuses(model)).toMatchObject({ waiting: 'HOLD', released: 'FREE', rejected: 'BLOCKED' });
  });

  it('refuses an enum with no held status besides the default', () => {
    const model = modelWith([value('AVAILABLE'), value('QUARANTINE', true)], 'QUARANTINE');
    expect(() => stockStatuses(model)).toThrow(/another held value/);
  });
});
