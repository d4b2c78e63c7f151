/**
 * `requiredWhen` on the server: a field whose condition holds for the record as it will be stored
 * (the current row with the patch applied, or the new record with its defaults) must have a value.
 * The forms evaluate the same expression, so the client and the server refuse the same records.
 */
import type { CompiledField } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { evaluateCondition, parsedExpression } from '../../../metadata/src/expression';
import type { EntityRuntime } from '../kernel/model-runtime';
import type { EntityRecord, FieldError } from './types';

/** The record under metadata field names, which expressions read (`user_type`, `department`). */
export function expressionContext(
  fields: readonly CompiledField[],
  record: EntityRecord,
): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const field of fields) {
    const value = record[apiPropertyOf(field)];
    context[field.name] = value === undefined ? (field.def.default ?? null) : value;
  }
  return context;
}

const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Errors for conditionally required fields left empty in `record` (API-shaped, complete). */
export function requiredWhenErrors(rt: EntityRuntime, record: EntityRecord, pathPrefix = ''): FieldError[] {
  const conditional = rt.entity.fields.filter((field) => field.def.requiredWhen);
  if (conditional.length === 0) return [];
  const context = expressionContext(rt.entity.fields, record);
  const errors: FieldError[] = [];
  for (const field of conditional) {
    const expression = field.def.requiredWhen!;
    const property = apiPropertyOf(field);
    if (!isEmpty(context[field.name]) || !evaluateCondition(parsedExpression(expression), context)) continue;
    errors.push({
      field: property,
      path: `${pathPrefix}/${property}`,
      rule: 'requiredWhen',
      limit: expression,
      message: `${property} is required when ${expression}`,
    });
  }
  return errors;
}
