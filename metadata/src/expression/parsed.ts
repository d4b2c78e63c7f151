import type { ExpressionNode } from './ast';
import { parseExpression } from './parser';

/** Expressions of the metadata are a bounded set; the bound only guards against unbounded input. */
const MAX_KEPT = 1000;
const kept = new Map<string, ExpressionNode>();

/** The expression parsed once and kept: the engine evaluates the same metadata expressions on every write. */
export function parsedExpression(source: string): ExpressionNode {
  let node = kept.get(source);
  if (!node) {
    if (kept.size >= MAX_KEPT) kept.clear();
    node = parseExpression(source);
    kept.set(source, node);
  }
  return node;
}
