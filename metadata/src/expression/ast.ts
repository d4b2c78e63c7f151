/** The expression AST. `column` is the 1-based position of the node's first character. */

export type LiteralValue = string | number | boolean | null;

export type ComparisonOperator = '==' | '!=' | '>' | '>=' | '<' | '<=';
export type ArithmeticOperator = '+' | '-' | '*' | '/';
export type BinaryOperator = ComparisonOperator | ArithmeticOperator | 'and' | 'or' | 'in' | 'not in';

export interface LiteralNode {
  kind: 'literal';
  value: LiteralValue;
  column: number;
}

export interface IdentifierNode {
  kind: 'identifier';
  /** Dot path segments: `item.item_type` → ['item', 'item_type']. */
  path: string[];
  column: number;
}

export interface UnaryNode {
  kind: 'unary';
  operator: 'not' | '-';
  operand: ExpressionNode;
  column: number;
}

export interface BinaryNode {
  kind: 'binary';
  operator: BinaryOperator;
  left: ExpressionNode;
  right: ExpressionNode;
  column: number;
}

export interface ListNode {
  kind: 'list';
  items: ExpressionNode[];
  column: number;
}

export interface CallNode {
  kind: 'call';
  name: string;
  args: ExpressionNode[];
  column: number;
}

export type ExpressionNode = LiteralNode | IdentifierNode | UnaryNode | BinaryNode | ListNode | CallNode;
