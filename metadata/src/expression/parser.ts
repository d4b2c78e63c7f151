import type { BinaryOperator, ComparisonOperator, ExpressionNode } from './ast';
import { ExpressionError } from './errors';
import { FUNCTIONS } from './functions';
import { tokenize, type Token } from './tokenizer';

const COMPARISONS = new Set<string>(['==', '!=', '>', '>=', '<', '<=']);
const SYMBOL_ALIASES: Record<string, BinaryOperator | 'not'> = { '&&': 'and', '||': 'or', '!': 'not' };

/** Recursive-descent parser; one method per precedence level, lowest first. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): ExpressionNode {
    const node = this.parseOr();
    const next = this.peek();
    if (next.type !== 'end') throw new ExpressionError(`unexpected ${describe(next)}`, next.column);
    return node;
  }

  private parseOr(): ExpressionNode {
    let left = this.parseAnd();
    while (this.matchWord('or')) {
      const column = left.column;
      left = { kind: 'binary', operator: 'or', left, right: this.parseAnd(), column };
    }
    return left;
  }

  private parseAnd(): ExpressionNode {
    let left = this.parseNot();
    while (this.matchWord('and')) {
      const column = left.column;
      left = { kind: 'binary', operator: 'and', left, right: this.parseNot(), column };
    }
    return left;
  }

  private parseNot(): ExpressionNode {
    const token = this.peek();
    if (this.matchWord('not'))
      return { kind: 'unary', operator: 'not', operand: this.parseNot(), column: token.column };
    return this.parseComparison();
  }

  /** Comparisons do not chain: `a < b < c` is a syntax error rather than a surprise. */
  private parseComparison(): ExpressionNode {
    const left = this.parseAdditive();
    const token = this.peek();
    let operator: BinaryOperator | undefined;
    if (token.type === 'operator' && COMPARISONS.has(token.text)) {
      operator = token.text as ComparisonOperator;
      this.advance();
    } else if (this.matchWord('in')) {
      operator = 'in';
    } else if (token.type === 'keyword' && token.text === 'not' && this.peek(1).text === 'in') {
      this.advance();
      this.advance();
      operator = 'not in';
    }
    if (!operator) return left;
    return { kind: 'binary', operator, left, right: this.parseAdditive(), column: left.column };
  }

  private parseAdditive(): ExpressionNode {
    let left = this.parseMultiplicative();
    for (let token = this.peek(); token.text === '+' || token.text === '-'; token = this.peek()) {
      this.advance();
      const operator = token.text === '+' ? '+' : '-';
      left = { kind: 'binary', operator, left, right: this.parseMultiplicative(), column: left.column };
    }
    return left;
  }

  private parseMultiplicative(): ExpressionNode {
    let left = this.parseUnary();
    for (let token = this.peek(); token.text === '*' || token.text === '/'; token = this.peek()) {
      this.advance();
      const operator = token.text === '*' ? '*' : '/';
      left = { kind: 'binary', operator, left, right: this.parseUnary(), column: left.column };
    }
    return left;
  }

  private parseUnary(): ExpressionNode {
    const token = this.peek();
    if (token.type === 'operator' && token.text === '-') {
      this.advance();
      return { kind: 'unary', operator: '-', operand: this.parseUnary(), column: token.column };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ExpressionNode {
    const token = this.advance();
    switch (token.type) {
      case 'number':
        return { kind: 'literal', value: Number(token.text), column: token.column };
      case 'string':
        return { kind: 'literal', value: token.text, column: token.column };
      case 'keyword':
        if (token.text === 'true' || token.text === 'false') {
          return { kind: 'literal', value: token.text === 'true', column: token.column };
        }
        if (token.text === 'null') return { kind: 'literal', value: null, column: token.column };
        break;
      case 'identifier':
        return this.peek().text === '(' ? this.parseCall(token) : this.parsePath(token);
      case 'punctuation':
        if (token.text === '(') {
          const inner = this.parseOr();
          this.expect(')');
          return inner;
        }
        if (token.text === '[') return this.parseList(token);
        break;
      default:
        break;
    }
    throw new ExpressionError(`unexpected ${describe(token)}`, token.column);
  }

  private parsePath(first: Token): ExpressionNode {
    const path = [first.text];
    while (this.peek().text === '.') {
      this.advance();
      const segment = this.advance();
      if (segment.type !== 'identifier') {
        throw new ExpressionError(
          `expected a field name after '.', found ${describe(segment)}`,
          segment.column,
        );
      }
      path.push(segment.text);
    }
    return { kind: 'identifier', path, column: first.column };
  }

  private parseCall(name: Token): ExpressionNode {
    const fn = FUNCTIONS.get(name.text);
    if (!fn) {
      const known = [...FUNCTIONS.keys()].join(', ');
      throw new ExpressionError(`unknown function '${name.text}' (allowed: ${known})`, name.column);
    }
    this.expect('(');
    const args = this.parseItems(')');
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `at least ${fn.minArgs}`;
      throw new ExpressionError(
        `${name.text}() takes ${expected} argument(s), got ${args.length}`,
        name.column,
      );
    }
    return { kind: 'call', name: name.text, args, column: name.column };
  }

  private parseList(open: Token): ExpressionNode {
    return { kind: 'list', items: this.parseItems(']'), column: open.column };
  }

  /** Comma-separated expressions up to and including `close`. */
  private parseItems(close: string): ExpressionNode[] {
    const items: ExpressionNode[] = [];
    if (this.peek().text === close) {
      this.advance();
      return items;
    }
    for (;;) {
      items.push(this.parseOr());
      if (this.peek().text !== ',') break;
      this.advance();
    }
    this.expect(close);
    return items;
  }

  private matchWord(word: 'and' | 'or' | 'not' | 'in'): boolean {
    const token = this.peek();
    const isWord = token.type === 'keyword' && token.text === word;
    const isSymbol = token.type === 'operator' && SYMBOL_ALIASES[token.text] === word;
    if (isWord || isSymbol) this.advance();
    return isWord || isSymbol;
  }

  private expect(text: string): void {
    const token = this.advance();
    if (token.text !== text || token.type === 'string') {
      throw new ExpressionError(`expected '${text}', found ${describe(token)}`, token.column);
    }
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position += 1;
    return token;
  }
}

function describe(token: Token): string {
  if (token.type === 'end') return 'end of expression';
  if (token.type === 'string') return `string '${token.text}'`;
  return `'${token.text}'`;
}

/** Parses an expression; throws ExpressionError with the 1-based column of the problem. */
export function parseExpression(src: string): ExpressionNode {
  if (src.trim() === '') throw new ExpressionError('empty expression', 1);
  return new Parser(tokenize(src)).parse();
}
