import type { ExpressionNode, IdentifierNode } from './ast';

/** Every identifier node of the expression, in order of appearance. */
export function identifierNodes(node: ExpressionNode): IdentifierNode[] {
  switch (node.kind) {
    case 'identifier':
      return [node];
    case 'unary':
      return identifierNodes(node.operand);
    case 'binary':
      return [...identifierNodes(node.left), ...identifierNodes(node.right)];
    case 'list':
      return node.items.flatMap(identifierNodes);
    case 'call':
      return node.args.flatMap(identifierNodes);
    case 'literal':
      return [];
  }
}

/** Every identifier dot path the expression reads, each once, in order of appearance. */
export function referencedIdentifiers(node: ExpressionNode): string[] {
  return [...new Set(identifierNodes(node).map((identifier) => identifier.path.join('.')))];
}
