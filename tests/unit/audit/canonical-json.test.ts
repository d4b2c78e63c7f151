import fc from 'fast-check';
import { canonicalJson } from '../../../platform/src/audit/canonical-json';

/** The text sealed audit records were hashed over: JSON.stringify of copies with sorted keys. */
function sortedCopyJson(value: unknown): string {
  const sortKeys = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sortKeys);
    if (item !== null && typeof item === 'object' && !(item instanceof Date)) {
      const source = item as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(source)
          .filter((key) => source[key] !== undefined)
          .sort()
          .map((key) => [key, sortKeys(source[key])]),
      );
    }
    return item;
  };
  return JSON.stringify(sortKeys(value));
}

/** Keys as audit diffs and records carry them, and the awkward ones: array indices, unicode, `__proto__`. */
const key = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'id',
    'woNo',
    '__proto__',
    'é',
    'Z',
    'a',
    '0',
    '1',
    '2',
    '10',
    '9',
    '01',
    '-1',
    '4294967294',
    '4294967295',
  ),
  fc.nat().map(String),
);

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 8 }),
})).node;

describe('canonicalJson', () => {
  it('gives the text of JSON.stringify over sorted copies, which sealed audit records are hashed over', () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(canonicalJson(input)).toBe(sortedCopyJson(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts keys at every level, array indices first by number, and leaves undefined out', () => {
    const input = { b: 1, a: { d: undefined, c: [2, undefined] }, 10: 'ten', 9: 'nine', z: new Date(0) };
    expect(canonicalJson(input)).toBe(
      '{"9":"nine","10":"ten","a":{"c":[2,null]},"b":1,"z":"1970-01-01T00:00:00.000Z"}',
    );
  });
});
