import type { EntityRuntime } from '../kernel/model-runtime';
import { ApiError, ValidationError } from './errors';
import { extAppliesTo } from './serializer';
import type { EntityRecord, FieldError } from './types';

/** Field errors of a create or patch body: the entity's ajv schema plus per-tenant extension fields. */
export function bodyErrors(
  rt: EntityRuntime,
  body: unknown,
  mode: 'create' | 'patch',
  tenantId: string,
): FieldError[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [
      { field: '', path: '', rule: 'type', limit: 'object', message: 'The body must be a JSON object' },
    ];
  }
  const errors = mode === 'create' ? rt.validateCreate(body) : rt.validatePatch(body);
  errors.push(...rangeErrors(rt, body as EntityRecord, errors));
  for (const field of rt.extFields) {
    if (field.apiName in body && !extAppliesTo(field, tenantId)) {
      errors.push({
        field: field.apiName,
        path: `/${field.apiName}`,
        rule: 'unknown',
        message: `Unknown field '${field.apiName}'`,
      });
    }
  }
  return errors;
}

/**
 * `range: future|past` of date and datetime fields, checked against the clock at validation time
 * (ajv cannot: the bound moves). Skipped for values that already failed their format.
 */
function rangeErrors(rt: EntityRuntime, body: EntityRecord, failed: FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  for (const field of rt.entity.fields) {
    const def = field.def;
    if ((def.type !== 'date' && def.type !== 'datetime') || !def.range) continue;
    const value = body[field.apiName];
    if (typeof value !== 'string' || failed.some((e) => e.field === field.apiName)) continue;
    const future = def.type === 'date' ? value >= today : new Date(value) > now;
    const past = def.type === 'date' ? value <= today : new Date(value) < now;
    if (def.range === 'future' ? future : past) continue;
    errors.push({
      field: field.apiName,
      path: `/${field.apiName}`,
      rule: 'range',
      limit: def.range,
      message: `${field.apiName} must be in the ${def.range}`,
    });
  }
  return errors;
}

/** Unknown names alone are a malformed request (400); anything else fails validation (422). */
export function fieldErrorsToApiError(errors: FieldError[]): ApiError {
  if (errors.every((e) => e.rule === 'unknown')) {
    const names = errors.map((e) => e.field).join(', ');
    return new ApiError('UNKNOWN_FIELD', 400, `Unknown field(s): ${names}`, { errors });
  }
  return new ValidationError(errors);
}

export function throwFieldErrors(errors: FieldError[]): void {
  if (errors.length > 0) throw fieldErrorsToApiError(errors);
}

export function assertValidBody(
  rt: EntityRuntime,
  body: unknown,
  mode: 'create' | 'patch',
  tenantId: string,
): asserts body is EntityRecord {
  const errors = bodyErrors(rt, body, mode, tenantId);
  if (errors.length > 0) throw fieldErrorsToApiError(errors);
}
