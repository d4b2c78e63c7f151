export type * from './ast';
export { ExpressionError } from './errors';
export { evaluate, evaluateCondition } from './evaluator';
export { FUNCTIONS } from './functions';
export { identifierNodes, referencedIdentifiers } from './identifiers';
export { parsedExpression } from './parsed';
export { parseExpression } from './parser';
export type { ExpressionContext, ExpressionValue } from './values';
