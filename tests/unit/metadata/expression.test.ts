import fc from 'fast-check';
import {
  evaluate,
  evaluateCondition,
  ExpressionError,
  parseExpression,
  referencedIdentifiers,
} from '../../../metadata/src/expression';

const run = (src: string, context: Record<string, unknown> = {}): unknown =>
  evaluate(parseExpression(src), context);

function errorOf(src: string): { message: string; column: number } {
  try {
    parseExpression(src);
  } catch (error) {
    if (error instanceof ExpressionError) return { message: error.message, column: error.column };
    throw error;
  }
  throw new Error(`expected \`${src}\` to fail`);
}

describe('expression parser', () => {
  it('builds an AST with precedence: or < and < not < comparison < additive < multiplicative', () => {
    expect(parseExpression('a or b and not c == 1 + 2 * 3')).toEqual({
      kind: 'binary',
      operator: 'or',
      column: 1,
      left: { kind: 'identifier', path: ['a'], column: 1 },
      right: {
        kind: 'binary',
        operator: 'and',
        column: 6,
        left: { kind: 'identifier', path: ['b'], column: 6 },
        right: {
          kind: 'unary',
          operator: 'not',
          column: 12,
          operand: {
            kind: 'binary',
            operator: '==',
            column: 16,
            left: { kind: 'identifier', path: ['c'], column: 16 },
            right: {
              kind: 'binary',
              operator: '+',
              column: 21,
              left: { kind: 'literal', value: 1, column: 21 },
              right: {
                kind: 'binary',
                operator: '*',
                column: 25,
                left: { kind: 'literal', value: 2, column: 25 },
                right: { kind: 'literal', value: 3, column: 29 },
              },
            },
          },
        },
      },
    });
  });

  it('reads dot paths, lists, calls and both string quotes', () => {
    expect(parseExpression('item.item_type in [\'RAW\', "SEMI"]')).toMatchObject({
      kind: 'binary',
      operator: 'in',
      left: { kind: 'identifier', path: ['item', 'item_type'] },
      right: { kind: 'list', items: [{ value: 'RAW' }, { value: 'SEMI' }] },
    });
    expect(parseExpression('coalesce(a, 1)')).toMatchObject({ kind: 'call', name: 'coalesce' });
  });

  it.each([
    ['status ==', 'unexpected end of expression', 10],
    ['status = 1', "unexpected character '=' (compare with '==')", 8],
    ["name == 'open", 'unterminated string', 9],
    ['eval(x)', 'unknown function', 1],
    ['len(a, b)', 'len() takes 1 argument(s), got 2', 1],
    ['(a', "expected ')', found end of expression", 3],
    ['a < b < c', "unexpected '<'", 7],
    ['a.1', "expected a field name after '.', found '1'", 3],
    ['a # b', "unexpected character '#'", 3],
    ['   ', 'empty expression', 1],
  ])('rejects `%s` with "%s" at column %d', (src, message, column) => {
    const error = errorOf(src);
    expect(error.message).toContain(message);
    expect(error.column).toBe(column);
  });

  it('lists referenced identifiers once each, in order', () => {
    const ast = parseExpression("status == 'A' and (qty > min_qty or status != 'B') and len(item.code) > 0");
    expect(referencedIdentifiers(ast)).toEqual(['status', 'qty', 'min_qty', 'item.code']);
  });
});

describe('expression evaluator', () => {
  const record = {
    status: 'RELEASED',
    qty: '12.5000',
    limit: 10,
    item: { item_type: 'RAW', code: 'AB-1' },
    note: null,
  };

  it.each<[string, unknown]>([
    ["status == 'RELEASED'", true],
    ["status != 'RELEASED'", false],
    ['qty > limit', true],
    ['qty >= 12.5 && qty <= 12.5', true],
    ['qty < 3 || !(limit == 10)', false],
    ["item.item_type in ['RAW', 'SEMI']", true],
    ["item.item_type not in ['RAW']", false],
    ['qty * 2 - limit / 5', 23],
    ['-limit + 1', -9],
    ["'#' + item.code", '#AB-1'],
    ['limit / 0', null],
    ['missing.path == null', true],
    ['note == null and not note', true],
    ['len(item.code)', 4],
    ['len([1, 2, 3])', 3],
    ['lower(status)', 'released'],
    ['upper(item.code)', 'AB-1'],
    ["contains(item.code, 'B-')", true],
    ["contains(['x', 'y'], 'y')", true],
    ["startsWith(item.code, 'AB')", true],
    ["coalesce(note, missing, 'fallback')", 'fallback'],
    ['qty > null', false],
    ['max(1, round(limit / 4))', 3],
    ['max(1, round(1 / 2))', 1],
    ['min(qty, limit, 11)', 10],
    ['floor(qty)', 12],
    ['ceil(qty)', 13],
    ['max(1, note / 2)', null],
    ["min(2, 'x')", null],
  ])('%s → %p', (src, expected) => {
    expect(run(src, record)).toEqual(expected);
  });

  it('compares dates with now() and today()', () => {
    expect(run("now() > '2000-01-01T00:00:00Z'")).toBe(true);
    expect(run('today()')).toBe(new Date().toISOString().slice(0, 10));
    expect(run('planned < now()', { planned: new Date(Date.now() - 60_000) })).toBe(true);
  });

  it('treats conditions by truthiness', () => {
    expect(evaluateCondition(parseExpression('note'), { note: '' })).toBe(false);
    expect(evaluateCondition(parseExpression('items'), { items: [1] })).toBe(true);
  });

  it('cannot reach prototypes or functions through identifiers', () => {
    expect(run('constructor', {})).toBeNull();
    expect(run('__proto__', {})).toBeNull();
    expect(run('item.constructor', { item: {} })).toBeNull();
  });

  it('reports type errors of arithmetic and membership at the operator column', () => {
    expect(() => run("'a' * 2")).toThrow("'*' needs numbers");
    expect(() => run('1 in 2')).toThrow("'in' needs a list on its right");
  });
});

describe('expression language properties', () => {
  it('fails on any input only with an ExpressionError carrying a column inside the source', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab1 .,()[]\'"=!<>&|+-*/_x'.split('')) }), (src) => {
        try {
          parseExpression(src);
        } catch (error) {
          expect(error).toBeInstanceOf(ExpressionError);
          expect((error as ExpressionError).column).toBeGreaterThanOrEqual(1);
          expect((error as ExpressionError).column).toBeLessThanOrEqual(src.length + 1);
        }
      }),
    );
  });

  it('computes integer arithmetic like JavaScript', () => {
    const operand = fc.integer({ min: -1000, max: 1000 });
    fc.assert(
      fc.property(operand, operand, operand, (a, b, c) => {
        expect(run(`a + b * c - (a - c)`, { a, b, c })).toBe(a + b * c - (a - c));
        expect(run(`a < b or b <= c`, { a, b, c })).toBe(a < b || b <= c);
      }),
    );
  });
});
