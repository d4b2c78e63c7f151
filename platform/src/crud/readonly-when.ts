/**
 * `readonlyWhen` on the server: while a field's condition holds for the stored record (for a create,
 * the new record with its defaults), a client write may not change the field. The condition comes
 * from the field (`readonlyWhen` in the entity) and from the entity's own form (a placed field's or
 * an override's `readonlyWhen`), which disables the input under the same expression. A value sent
 * unchanged is not a change, so a form that sends the whole record back passes.
 */
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { evaluateCondition, parsedExpression } from '../../../metadata/src/expression';
import type { FormFieldRef } from '../../../metadata/src/types';
import type { EntityRuntime } from '../kernel/model-runtime';
import { expressionContext } from './required-when';
import type { EntityRecord, FieldError } from './types';

interface Conditional {
  field: CompiledField;
  expressions: string[];
}

const byEntity = new WeakMap<CompiledEntity, Conditional[]>();

/** The fields of an entity that are read-only under a condition, with every condition that applies. */
function conditionalFields(model: Model, entity: CompiledEntity): Conditional[] {
  const cached = byEntity.get(entity);
  if (cached) return cached;
  const expressions = new Map<string, string[]>();
  const add = (name: string, expression: string | undefined) => {
    if (!expression || !entity.fieldsByName.has(name)) return;
    const list = expressions.get(name) ?? [];
    if (!list.includes(expression)) list.push(expression);
    expressions.set(name, list);
  };
  for (const field of entity.fields) add(field.name, field.def.readonlyWhen);
  const form = entity.form ? model.forms.get(entity.form) : undefined;
  if (form && form.entity === entity.name) {
    const sections = [...(form.sections ?? []), ...(form.tabs ?? []).flatMap((t) => t.sections)];
    for (const item of sections.flatMap((s) => s.fields)) {
      const ref: FormFieldRef = typeof item === 'string' ? { field: item } : item;
      add(ref.field, ref.readonlyWhen);
    }
    for (const [name, override] of Object.entries(form.overrides ?? {})) add(name, override.readonlyWhen);
  }
  const found = [...expressions].map(([name, list]) => ({
    field: entity.fieldsByName.get(name)!,
    expressions: list,
  }));
  byEntity.set(entity, found);
  return found;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

function sameValue(sent: unknown, stored: unknown): boolean {
  if (sent === stored) return true;
  if ((sent === null || sent === '') && (stored === null || stored === undefined)) return true;
  if (typeof sent === 'number' || typeof stored === 'number') return Number(sent) === Number(stored);
  if (typeof sent === 'string' && typeof stored === 'string' && ISO_DATE.test(sent) && ISO_DATE.test(stored))
    return Date.parse(sent) === Date.parse(stored);
  return JSON.stringify(sent) === JSON.stringify(stored);
}

/** The entity's conditions with further ones (metadata field name → expression) added. */
function withExtra(entity: CompiledEntity, base: Conditional[], extra: Readonly<Record<string, string>>) {
  const names = Object.keys(extra).filter((name) => entity.fieldsByName.has(name));
  if (names.length === 0) return base;
  const merged = base.map((c) => ({ field: c.field, expressions: [...c.expressions] }));
  for (const name of names) {
    const found = merged.find((c) => c.field.name === name);
    if (found) {
      if (!found.expressions.includes(extra[name]!)) found.expressions.push(extra[name]!);
    } else merged.push({ field: entity.fieldsByName.get(name)!, expressions: [extra[name]!] });
  }
  return merged;
}

/**
 * Errors for fields a client write changes while their `readonlyWhen` holds. `stored` is the record
 * before the write (null for a create, where the condition is read on the new record with its
 * defaults and any value other than the default is a change). `extra` adds conditions of the write
 * itself (a workflow transition's `readonlyWhen`), by metadata field name.
 */
export function readonlyWhenErrors(
  model: Model,
  rt: EntityRuntime,
  stored: EntityRecord | null,
  body: EntityRecord,
  pathPrefix = '',
  extra: Readonly<Record<string, string>> = {},
): FieldError[] {
  const conditional = withExtra(rt.entity, conditionalFields(model, rt.entity), extra);
  if (conditional.length === 0) return [];
  const context = expressionContext(rt.entity.fields, stored ?? body);
  const errors: FieldError[] = [];
  for (const { field, expressions } of conditional) {
    const property = apiPropertyOf(field);
    if (!(property in body)) continue;
    const before = stored ? stored[property] : (field.def.default ?? null);
    if (sameValue(body[property], before)) continue;
    const holding = expressions.find((e) => evaluateCondition(parsedExpression(e), context));
    if (holding === undefined) continue;
    errors.push({
      field: property,
      path: `${pathPrefix}/${property}`,
      rule: 'readonlyWhen',
      limit: holding,
      message: `${property} is read-only when ${holding}`,
    });
  }
  return errors;
}
