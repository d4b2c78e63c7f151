import fc from 'fast-check';
import type { MetadataSet } from '../../../metadata/src/types';
import type { CompiledEntity, CompiledField } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { validateMetadata } from '../../../metadata/src/validator';
import { compilePayloadValidator, createAjv } from '../../../platform/src/kernel/validators';
import { emitForms } from '../../../generators/src/codegen/emitters/form';
import { createEmitContext } from '../../../generators/src/codegen/pipeline';
import { FIXTURE_PROJECT, REPO_ROOT, TEMPLATE_DIR } from '../../fixtures/generators/fixture-project';
import { failingRules, type RuleSpec } from '../../fixtures/generators/formkit-rules';

/**
 * The generated FormKit forms and the server's ajv validators must agree on every payload a form can
 * produce: for each sample, the set of fields FormKit flags equals the set of fields ajv rejects.
 * FormKit's side is FormKit's own validation engine (tests/fixtures/generators/formkit-rules.ts).
 * Samples are values an input can hold (strings in text inputs, numbers in number inputs, ids in
 * lookups), valid and invalid; the UI omits empty inputs from a create payload. Conditional rules
 * (requiredWhen) are the workflow's business and are compared in their unconditional form.
 */

interface FormInput {
  name: string;
  validation?: RuleSpec | { else: RuleSpec };
  disabled?: boolean;
}

type Sample = Record<string, unknown>;

/** Characters of the Basic Multilingual Plane (ASCII, accents, CJK): what operators type. */
const TYPED_CHAR = fc.oneof(
  fc.string({ minLength: 1, maxLength: 1 }),
  fc.constantFrom('é', 'ß', '工', '单', ' '),
);
const EMPTY = fc.constantFrom(undefined, '');
/** Addresses where e-mail checkers tend to differ: non-ASCII, quoted, hyphen edges, no dot. */
const NEAR_EMAILS = ['é@ab.cd', '"a b"@cd.ef', 'a@b-.cd', 'a@-b.cd', 'a@localhost', 'a.b@c.d1', 'A_B@x.io'];
const NEAR_URIS = ['mailto:a@b.cd', 'urn:isbn:123', '/relative/path', 'http://', 'ftp://x.y/z', 'not a uri'];

function text(maxLength: number, minLength = 0): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: TYPED_CHAR, maxLength: Math.min(maxLength + 3, 300) }),
    fc.string({ unit: TYPED_CHAR, minLength: Math.max(0, minLength - 1), maxLength: minLength + 1 }),
    fc.string({
      unit: TYPED_CHAR,
      minLength: Math.min(maxLength, 300),
      maxLength: Math.min(maxLength + 1, 301),
    }),
  );
}

function numberAround(min: number | undefined, max: number | undefined, scale: number): fc.Arbitrary<number> {
  const factor = 10 ** scale;
  const low = Math.round(((min ?? -1_000_000) - 3) * factor);
  const high = Math.round(((max ?? 1_000_000) + 3) * factor);
  const edges = [min, max]
    .filter((v): v is number => v !== undefined)
    .flatMap((v) => [v - 1 / factor, v, v + 1 / factor]);
  const spread = fc.integer({ min: low, max: high }).map((n) => n / factor);
  return edges.length > 0 ? fc.oneof(spread, fc.constantFrom(...edges)) : spread;
}

/** Values an input for the field can hold, or undefined for composite inputs the sampler leaves empty. */
function valuesOf(field: CompiledField): fc.Arbitrary<unknown> {
  const def = field.def;
  switch (def.type) {
    case 'string': {
      const max = def.length ?? field.length ?? 255;
      const options = [text(max, def.minLength ?? 0)];
      if (def.pattern !== undefined) options.push(fc.stringMatching(new RegExp(def.pattern)));
      if (def.format === 'email') options.push(fc.emailAddress(), fc.constantFrom(...NEAR_EMAILS));
      if (def.format === 'uri') options.push(fc.webUrl(), fc.constantFrom(...NEAR_URIS));
      return fc.oneof(EMPTY, ...options);
    }
    case 'text':
      return fc.oneof(EMPTY, text(def.maxLength ?? 500, def.minLength ?? 0));
    case 'integer':
      return fc.oneof(EMPTY, numberAround(def.min, def.max, 0));
    case 'decimal':
      return fc.oneof(EMPTY, numberAround(def.min ?? def.exclusiveMin, def.max, Math.min(def.scale, 4)));
    case 'boolean':
      return fc.oneof(fc.constant(undefined), fc.boolean());
    case 'enum':
      return fc.oneof(EMPTY, fc.constantFrom(...(field.enumValues ?? [])), fc.string({ maxLength: 12 }));
    case 'relation':
      return fc.oneof(EMPTY, fc.integer({ min: -3, max: 500 }));
    case 'date':
    case 'datetime': {
      const date = fc.date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2090-12-31T23:59:59Z'),
        noInvalidDate: true,
      });
      return fc.oneof(
        EMPTY,
        date.map((d) => (def.type === 'date' ? d.toISOString().slice(0, 10) : d.toISOString())),
      );
    }
    default:
      return fc.constant(undefined);
  }
}

function inputsOf(node: unknown): FormInput[] {
  if (Array.isArray(node)) return node.flatMap(inputsOf);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const own =
    typeof record.$formkit === 'string' && typeof record.name === 'string'
      ? [record as unknown as FormInput]
      : [];
  return [...own, ...inputsOf(record.children)];
}

function baseRules(input: FormInput): RuleSpec {
  const validation = input.validation;
  if (validation === undefined) return '';
  return typeof validation === 'object' && !Array.isArray(validation) ? validation.else : validation;
}

function checkEntities(label: string, set: MetadataSet, numRuns: number): void {
  const ctx = createEmitContext(set, { root: REPO_ROOT, templateDir: TEMPLATE_DIR });
  const forms = new Map(
    emitForms(ctx)
      .filter((file) => file.entity !== undefined)
      .map((file) => [file.entity, JSON.parse(file.body) as { schema: unknown }]),
  );
  const ajv = createAjv();
  describe(label, () => {
    it.each(ctx.entities.map((e) => [e.name, e] as [string, CompiledEntity]))('%s', async (name, entity) => {
      const inputs = inputsOf(forms.get(name)?.schema).filter((input) => !input.disabled);
      const fields = new Map(entity.fields.map((f) => [apiPropertyOf(f), f]));
      const validate = compilePayloadValidator(ajv, ctx.model, name, 'create', new Set());
      const sample = fc.record(
        Object.fromEntries(
          inputs.map((input) => [input.name, valuesOf(fields.get(input.name) as CompiledField)]),
        ),
      ) as fc.Arbitrary<Sample>;
      await fc.assert(
        fc.asyncProperty(sample, async (values) => {
          const formKit: string[] = [];
          for (const input of inputs) {
            if ((await failingRules(baseRules(input), values[input.name])).length > 0)
              formKit.push(input.name);
          }
          const payload = Object.fromEntries(
            Object.entries(values).filter(([, v]) => v !== undefined && v !== ''),
          );
          const server = new Set(validate(payload).map((error) => error.field.split('.')[0]));
          expect({ payload, fields: [...server].sort() }).toEqual({ payload, fields: formKit.sort() });
        }),
        { numRuns },
      );
    });
  });
}

checkEntities('form ↔ ajv parity on the fixture metadata', validateMetadata([FIXTURE_PROJECT]).set, 300);
checkEntities('form ↔ ajv parity on the core and plugin metadata', validateMetadata([REPO_ROOT]).set, 60);
