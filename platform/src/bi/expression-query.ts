/**
 * Dashboard and KPI conditions are metadata expressions (`status in ['RELEASED', 'ON_HOLD']`,
 * `actual_end <= planned_end`). They become the list's JSON filter syntax, so the list parser checks
 * and converts them exactly as it does a request's `filter`, plus at most one comparison of two fields
 * (which a list filter cannot express) for conditional measures.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { SYSTEM_COLUMNS } from '../../../metadata/src/model';
import { parseExpression, type ExpressionNode } from '../../../metadata/src/expression';
import { ApiError } from '../crud/errors';
import type { FieldComparison, HavingOperator } from './aggregate-query';

export interface ConvertedCondition {
  /** `{"and": [...]}` in the list's filter syntax, or null for no condition on values. */
  filter: Record<string, unknown> | null;
  compare: FieldComparison | null;
}

const OPERATORS: Record<string, HavingOperator | 'in' | 'nin'> = {
  '==': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  in: 'in',
  'not in': 'nin',
};

/** A dashboard or KPI condition the aggregate cannot express: the metadata must change, not the request. */
export class UnsupportedConditionError extends ApiError {
  constructor(expression: string, reason: string) {
    super('BUSINESS_RULE', 422, `Metadata condition '${expression}' is not supported: ${reason}`);
  }
}

export function convertCondition(
  model: Model,
  entity: CompiledEntity,
  expression: string,
): ConvertedCondition {
  let compare: FieldComparison | null = null;
  const convert = (node: ExpressionNode, topLevel: boolean): Record<string, unknown> | null => {
    if (node.kind !== 'binary') throw new UnsupportedConditionError(expression, `unsupported ${node.kind}`);
    if (node.operator === 'and' || node.operator === 'or') {
      const parts = [
        convert(node.left, topLevel && node.operator === 'and'),
        convert(node.right, topLevel && node.operator === 'and'),
      ];
      const kept = parts.filter((p): p is Record<string, unknown> => p !== null);
      return kept.length === 0 ? null : { [node.operator]: kept };
    }
    const op = OPERATORS[node.operator];
    if (!op || node.left.kind !== 'identifier')
      throw new UnsupportedConditionError(
        expression,
        `expected '<field> <comparison> <value>' at column ${node.column}`,
      );
    const field = apiPath(model, entity, node.left.path, expression);
    if (node.right.kind === 'identifier') {
      if (!topLevel || compare !== null || op === 'in' || op === 'nin')
        throw new UnsupportedConditionError(
          expression,
          'one field-to-field comparison, joined by and, is supported',
        );
      compare = { field, op, otherField: apiPath(model, entity, node.right.path, expression) };
      return null;
    }
    const value = literal(node.right, expression);
    if (value === null && (op === 'eq' || op === 'ne'))
      return { [field]: { [op === 'eq' ? 'null' : 'notNull']: true } };
    return { [field]: { [op]: value } };
  };
  const filter = convert(parseExpression(expression), true);
  return { filter: filter === null ? null : { and: [filter] }, compare };
}

/** A metadata path (`work_order.line`) → the API path (`workOrder.lineId`). */
export function apiPath(
  model: Model,
  entity: CompiledEntity,
  path: readonly string[],
  expression: string,
): string {
  const segments: string[] = [];
  let current: CompiledEntity | undefined = entity;
  path.forEach((name, index) => {
    const last = index === path.length - 1;
    const system = SYSTEM_COLUMNS.find((c) => c.column === name);
    if (last && system) {
      segments.push(system.apiName);
      return;
    }
    const field = current?.fieldsByName.get(name);
    if (!field) throw new UnsupportedConditionError(expression, `unknown field '${name}'`);
    segments.push(last && field.type === 'relation' ? `${field.apiName}Id` : field.apiName);
    current = field.relation ? model.entities.get(field.relation.target) : undefined;
  });
  return segments.join('.');
}

function literal(node: ExpressionNode, expression: string): unknown {
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'list') return node.items.map((item) => literal(item, expression));
  throw new UnsupportedConditionError(expression, `unsupported value at column ${node.column}`);
}
