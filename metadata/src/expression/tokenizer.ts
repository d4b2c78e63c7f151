import { ExpressionError } from './errors';

export type TokenType = 'number' | 'string' | 'identifier' | 'keyword' | 'operator' | 'punctuation' | 'end';

export interface Token {
  type: TokenType;
  /** Source text for operators, identifiers and keywords; decoded text for strings. */
  text: string;
  column: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
/** Longest first, so `>=` wins over `>`. */
const OPERATORS = ['==', '!=', '>=', '<=', '&&', '||', '>', '<', '!', '+', '-', '*', '/'];
const PUNCTUATION = new Set(['(', ')', '[', ']', ',', '.']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

function isIdentifierStart(ch: string): boolean {
  return /[A-Za-z_$]/.test(ch);
}

function isIdentifierPart(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch);
}

function readString(src: string, start: number): { text: string; end: number } {
  const quote = src[start];
  let text = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\') {
      const escaped = ESCAPES[src[i + 1]];
      if (escaped === undefined) throw new ExpressionError(`unknown escape \\${src[i + 1] ?? ''}`, i + 1);
      text += escaped;
      i += 2;
    } else {
      text += src[i];
      i += 1;
    }
  }
  if (i >= src.length) throw new ExpressionError('unterminated string', start + 1);
  return { text, end: i + 1 };
}

function readNumber(src: string, start: number): number {
  const match = /^\d+(\.\d+)?/.exec(src.slice(start));
  return match ? match[0].length : 0;
}

/** Splits an expression into tokens; the last token is always `end`. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const column = i + 1;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (isDigit(ch)) {
      const length = readNumber(src, i);
      tokens.push({ type: 'number', text: src.slice(i, i + length), column });
      i += length;
    } else if (ch === "'" || ch === '"') {
      const { text, end } = readString(src, i);
      tokens.push({ type: 'string', text, column });
      i = end;
    } else if (isIdentifierStart(ch)) {
      let end = i + 1;
      while (end < src.length && isIdentifierPart(src[end])) end += 1;
      const word = src.slice(i, end);
      tokens.push({ type: KEYWORDS.has(word) ? 'keyword' : 'identifier', text: word, column });
      i = end;
    } else if (PUNCTUATION.has(ch)) {
      tokens.push({ type: 'punctuation', text: ch, column });
      i += 1;
    } else {
      const operator = OPERATORS.find((op) => src.startsWith(op, i));
      if (!operator) {
        const advice = ch === '=' ? " (compare with '==')" : '';
        throw new ExpressionError(`unexpected character '${ch}'${advice}`, column);
      }
      tokens.push({ type: 'operator', text: operator, column });
      i += operator.length;
    }
  }
  tokens.push({ type: 'end', text: '', column: src.length + 1 });
  return tokens;
}
