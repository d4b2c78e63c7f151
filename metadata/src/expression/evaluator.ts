import type { BinaryNode, ExpressionNode } from './ast';
import { ExpressionError } from './errors';
import { FUNCTIONS } from './functions';
import type { ExpressionContext, ExpressionValue } from './values';

/** Reads a dot path through nested objects; anything missing or not a value is null. */
function lookup(context: ExpressionContext, path: string[]): ExpressionValue {
  let current: unknown = context;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || current instanceof Date) return null;
    current = (current as Record<string, unknown>)[segment];
  }
  return toValue(current);
}

function toValue(raw: unknown): ExpressionValue {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  if (raw instanceof Date) return raw;
  if (Array.isArray(raw)) return raw.map(toValue);
  // A related record loaded for dot paths (`lot.fai_status`) still compares as its id (`lot == 5`).
  if (typeof raw === 'object' && 'id' in raw) return toValue((raw as { id: unknown }).id);
  return null;
}

function truthy(value: ExpressionValue): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && value !== false && value !== 0 && value !== '';
}

/** Decimal columns arrive as strings ('12.5000'); arithmetic and ordering treat them as numbers. */
function asNumber(value: ExpressionValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function asTime(value: ExpressionValue): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/** Brings two operands to a comparable pair: dates to epoch ms, numeric strings beside numbers to numbers. */
function comparable(left: ExpressionValue, right: ExpressionValue): [ExpressionValue, ExpressionValue] {
  if (left instanceof Date || right instanceof Date) {
    const [l, r] = [asTime(left), asTime(right)];
    if (l !== undefined && r !== undefined) return [l, r];
  }
  if (typeof left === 'number' || typeof right === 'number') {
    const [l, r] = [asNumber(left), asNumber(right)];
    if (l !== undefined && r !== undefined) return [l, r];
  }
  return [left, right];
}

function equals(left: ExpressionValue, right: ExpressionValue): boolean {
  const [l, r] = comparable(left, right);
  return l === r;
}

function order(node: BinaryNode, left: ExpressionValue, right: ExpressionValue): boolean {
  const [l, r] = comparable(left, right);
  const bothNumbers = typeof l === 'number' && typeof r === 'number';
  const bothStrings = typeof l === 'string' && typeof r === 'string';
  if (!bothNumbers && !bothStrings) return false;
  switch (node.operator) {
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '<':
      return l < r;
    default:
      return l <= r;
  }
}

function arithmetic(node: BinaryNode, left: ExpressionValue, right: ExpressionValue): ExpressionValue {
  if (left === null || right === null) return null;
  const [l, r] = [asNumber(left), asNumber(right)];
  if (l === undefined || r === undefined) {
    if (node.operator === '+') return `${String(left)}${String(right)}`;
    throw new ExpressionError(`'${node.operator}' needs numbers`, node.column);
  }
  switch (node.operator) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    default:
      return r === 0 ? null : l / r;
  }
}

function member(node: BinaryNode, needle: ExpressionValue, haystack: ExpressionValue): boolean {
  if (!Array.isArray(haystack))
    throw new ExpressionError(`'${node.operator}' needs a list on its right`, node.column);
  return haystack.some((item) => equals(needle, item));
}

function evaluateBinary(node: BinaryNode, context: ExpressionContext): ExpressionValue {
  if (node.operator === 'and')
    return truthy(evaluate(node.left, context)) && truthy(evaluate(node.right, context));
  if (node.operator === 'or')
    return truthy(evaluate(node.left, context)) || truthy(evaluate(node.right, context));
  const left = evaluate(node.left, context);
  const right = evaluate(node.right, context);
  switch (node.operator) {
    case '==':
      return equals(left, right);
    case '!=':
      return !equals(left, right);
    case '>':
    case '>=':
    case '<':
    case '<=':
      return order(node, left, right);
    case 'in':
      return member(node, left, right);
    case 'not in':
      return !member(node, left, right);
    default:
      return arithmetic(node, left, right);
  }
}

/** Evaluates a parsed expression against a record; never runs code other than the whitelisted functions. */
export function evaluate(node: ExpressionNode, context: ExpressionContext): ExpressionValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'identifier':
      return lookup(context, node.path);
    case 'list':
      return node.items.map((item) => evaluate(item, context));
    case 'unary': {
      const operand = evaluate(node.operand, context);
      if (node.operator === 'not') return !truthy(operand);
      const number = asNumber(operand);
      if (operand === null) return null;
      if (number === undefined) throw new ExpressionError(`'-' needs a number`, node.column);
      return -number;
    }
    case 'binary':
      return evaluateBinary(node, context);
    case 'call': {
      const fn = FUNCTIONS.get(node.name);
      if (!fn) throw new ExpressionError(`unknown function '${node.name}'`, node.column);
      return fn.call(node.args.map((arg) => evaluate(arg, context)));
    }
  }
}

/** Evaluates an expression as a condition (guards, visibleWhen, requiredWhen). */
export function evaluateCondition(node: ExpressionNode, context: ExpressionContext): boolean {
  return truthy(evaluate(node, context));
}
