import { SYSTEM_COLUMNS, type CompiledEntity } from '../../../../metadata/src/model';
import { parseExpression, type ExpressionNode } from '../../../../metadata/src/expression';
import type { FilterNode, FilterOperator } from '../../crud/types';
import { isScopeVariable, type ScopeVariable } from '../../../../metadata/src/model/scope-variables';
import type { Principal } from '../principal';

const COMPARISONS: Record<string, FilterOperator> = {
  '==': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  in: 'in',
  'not in': 'nin',
};

/** The values of the caller variables (metadata/src/model/scope-variables.ts). */
const CALLER_VALUES: Record<ScopeVariable, (p: Principal) => unknown> = {
  $user: (p) => p.userId,
  '$user.supplier': (p) => p.supplierId,
  $departments: (p) => p.departmentIds,
  $department_tree: (p) => p.departmentTreeIds,
  $lines: (p) => p.lineIds,
  $plants: (p) => p.plantIds,
};

/** Raised when a role's scope expression cannot be a row filter: a metadata error, so nobody sees rows. */
export class ScopeExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`Data scope filter '${expression}': ${reason}`);
    this.name = 'ScopeExpressionError';
  }
}

/**
 * Turns a role's `dataScope: { filter: "status == 'RELEASED' and line in $lines" }` into a
 * filter tree: comparisons of a field with literals (or the caller's ids), joined by and/or.
 */
export function expressionToFilter(
  expression: string,
  entity: CompiledEntity,
  principal: Principal,
): FilterNode {
  const convert = (node: ExpressionNode): FilterNode => {
    if (node.kind !== 'binary')
      throw new ScopeExpressionError(expression, `unsupported ${node.kind} at column ${node.column}`);
    if (node.operator === 'and' || node.operator === 'or')
      return { kind: node.operator, conditions: [convert(node.left), convert(node.right)] };
    const op = COMPARISONS[node.operator];
    if (!op || node.left.kind !== 'identifier')
      throw new ScopeExpressionError(
        expression,
        `expected '<field> <comparison> <value>' at column ${node.column}`,
      );
    const field = fieldPath(node.left.path);
    const value = valueOf(node.right);
    // `assignee == null` means IS NULL (`= NULL` is never true in SQL).
    if (value === null && (op === 'eq' || op === 'ne'))
      return { field, op: op === 'eq' ? 'null' : 'notNull', value: true };
    return { field, op, value };
  };
  const fieldPath = (path: string[]): string => {
    const [name, ...rest] = path;
    const system = SYSTEM_COLUMNS.find((c) => c.column === name);
    if (system && rest.length === 0) return system.apiName;
    const field = entity.fieldsByName.get(name);
    if (!field) throw new ScopeExpressionError(expression, `unknown field '${name}' on ${entity.name}`);
    if (rest.length > 0) return [field.apiName, ...rest].join('.');
    return field.type === 'relation' ? `${field.apiName}Id` : field.apiName;
  };
  const valueOf = (node: ExpressionNode): unknown => {
    if (node.kind === 'literal') return node.value;
    if (node.kind === 'list') return node.items.map(valueOf);
    if (node.kind === 'identifier') {
      const name = node.path.join('.');
      if (isScopeVariable(name)) return CALLER_VALUES[name](principal);
    }
    throw new ScopeExpressionError(expression, `unsupported value at column ${node.column}`);
  };
  return convert(parseExpression(expression));
}
