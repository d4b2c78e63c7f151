import { isRequiredOnCreate } from '../model/api-schema';
import type { CompiledEntity, CompiledField } from '../model';
import { inclusiveBounds } from '../model/numeric-bounds';

/** One FormKit validation rule with its arguments, e.g. `['length', 0, 32]`. */
export type FormKitRule = [name: string, ...args: (string | number)[]];

/**
 * Rules beyond FormKit's built-ins, emitted to ui-runtime/src/generated/formkit-rules.ts for the UI
 * runtime to register: `gt:n` — a number strictly greater than n (the server's exclusiveMinimum);
 * `format:<name>` — a string format checked with the server's own ajv-formats definitions (FormKit's
 * `email` and `url` accept addresses the server rejects).
 */
export const CUSTOM_RULES = ['gt', 'format'] as const;

/**
 * FormKit validation rules of a field, derived from the same facts the server's JSON Schema is built
 * from (metadata/src/model/api-schema.ts); the form-parity test holds the two to agreement.
 * `required` is the create-time rule; `requiredWhen` is layered on by the form emitter.
 */
export function fieldRules(entity: CompiledEntity, field: CompiledField): FormKitRule[] {
  const rules: FormKitRule[] = [];
  if (isRequiredOnCreate(entity, field)) rules.push(['required']);
  const def = field.def;
  switch (def.type) {
    case 'string': {
      const max = def.length ?? field.length;
      if (max !== undefined) rules.push(['length', def.minLength ?? 0, max]);
      else if (def.minLength !== undefined) rules.push(['length', def.minLength]);
      if (def.pattern !== undefined) rules.push(['matches', `/${def.pattern}/`]);
      if (def.format === 'email' || def.format === 'uri' || def.format === 'uuid')
        rules.push(['format', def.format]);
      break;
    }
    case 'text':
      if (def.maxLength !== undefined) rules.push(['length', def.minLength ?? 0, def.maxLength]);
      else if (def.minLength !== undefined) rules.push(['length', def.minLength]);
      break;
    case 'integer':
    case 'decimal': {
      // The declared limits, tightened to what the column can store (as the server's schema is).
      const storable = inclusiveBounds(field);
      const min = tighter(def.min, storable?.min, Math.max);
      const max = tighter(def.max, storable?.max, Math.min);
      if (min !== undefined) rules.push(['min', min]);
      if (max !== undefined) rules.push(['max', max]);
      if (def.type === 'decimal' && def.exclusiveMin !== undefined) rules.push(['gt', def.exclusiveMin]);
      break;
    }
    case 'enum':
      rules.push(['is', ...(field.enumValues ?? [])]);
      break;
    case 'relation':
      rules.push(['min', 1]);
      break;
    case 'children':
      if (def.minItems !== undefined) rules.push(['min', def.minItems]);
      if (def.maxItems !== undefined) rules.push(['max', def.maxItems]);
      break;
    default:
      break;
  }
  return rules;
}

function tighter(
  declared: number | undefined,
  storable: number | undefined,
  pick: (a: number, b: number) => number,
): number | undefined {
  if (declared === undefined) return storable;
  return storable === undefined ? declared : pick(declared, storable);
}

/** Characters that split a rule string (`|` between rules, `:` and `,` around arguments). */
const STRING_SYNTAX = /[|,:]/;

/**
 * FormKit accepts rules as a string (`required|length:0,32`) or, when an argument contains the
 * string syntax (a regex with `|` or `,`), as an array of `[rule, ...args]`.
 */
export function serializeRules(rules: FormKitRule[]): string | FormKitRule[] {
  const needsArray = rules.some(([, ...args]) => args.some((arg) => STRING_SYNTAX.test(String(arg))));
  if (needsArray) return rules;
  return rules.map(([name, ...args]) => (args.length > 0 ? `${name}:${args.join(',')}` : name)).join('|');
}
