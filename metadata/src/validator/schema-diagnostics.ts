import type { ErrorObject, SchemaObject } from 'ajv';
import type { Diagnostic } from '../diagnostic';
import type { LoadedDocument } from '../loader';
import { appendPointer } from '../loader';
import { didYouMean } from '../suggest';
import { schemaValidator } from './ajv-registry';
import { allowedKeys, requiredKeys } from './schema-keys';
import { KIND_SCHEMAS } from './schemas';

const NAME_PATTERN = '^[a-z][a-z0-9_]*$';
/** `{ en: a, b }` parses as `{ en: 'a', b: null }`: a valueless key in a label (or one reading like prose) is that. */
const SPLIT_FLOW_TEXT_HINT = 'a comma inside `{ … }` ends the value: quote text that contains commas';

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string \`${value}\``;
  return `${typeof value} \`${String(value)}\``;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeList(types: string[]): string {
  const named = [...new Set(types)].map(article);
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named[named.length - 1]}` : named[0];
}

interface Finding {
  path: string;
  at: 'value' | 'key';
  rule: string;
  message: string;
  hint?: string;
}

/** The kind of field an error sits in, for messages such as "unknown property `to` on a string field". */
function fieldTypeSuffix(document: LoadedDocument, instancePath: string): string {
  const match = /^\/fields\/([^/]+)$/.exec(instancePath);
  const fields = document.data.fields as Record<string, { type?: unknown }> | undefined;
  const type = match ? fields?.[match[1].replace(/~1/g, '/').replace(/~0/g, '~')]?.type : undefined;
  return typeof type === 'string' ? ` on ${article(type)} field` : '';
}

function describeError(error: ErrorObject, document: LoadedDocument): Finding {
  const path = error.instancePath;
  const parent = (error.parentSchema ?? {}) as SchemaObject;
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      return { path, at: 'key', rule: 'required', message: `missing required property \`${missing}\`` };
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(error.params.additionalProperty ?? error.params.unevaluatedProperty);
      const data = error.data as Record<string, unknown>;
      const allowed = allowedKeys(parent, KIND_SCHEMAS[document.kind]);
      const missing = requiredKeys(parent, KIND_SCHEMAS[document.kind]).filter((name) => !(name in data));
      const value = data[key];
      return {
        path: appendPointer(path, key),
        at: 'key',
        rule: error.keyword,
        message: `unknown property \`${key}\`${fieldTypeSuffix(document, path)}`,
        hint:
          didYouMean(key, [...missing, ...allowed]) ??
          (value === null && (allowed.includes('en') || /\s/.test(key))
            ? SPLIT_FLOW_TEXT_HINT
            : `allowed here: ${allowed.join(', ')}`),
      };
    }
    case 'type': {
      const expected = String(error.params.type).split(',');
      return {
        path,
        at: 'value',
        rule: 'type',
        message: `must be ${typeList(expected)}, found ${describeValue(error.data)}`,
      };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const found = String(error.data);
      return {
        path,
        at: 'value',
        rule: 'enum',
        message: `must be one of: ${allowed.join(', ')}; found ${describeValue(error.data)}`,
        hint: didYouMean(found, allowed),
      };
    }
    case 'pattern': {
      const pattern = String(error.params.pattern);
      const message =
        pattern === NAME_PATTERN
          ? `\`${String(error.data)}\` is not a snake_case name (lower-case letter first, then a-z, 0-9, _)`
          : `\`${String(error.data)}\` does not match ${pattern}`;
      return { path, at: 'value', rule: 'pattern', message, hint: parent.description as string | undefined };
    }
    case 'propertyNames': {
      const name = String(error.params.propertyName);
      return {
        path: appendPointer(path, name),
        at: 'key',
        rule: 'propertyNames',
        message: `\`${name}\` is not a valid name here (snake_case expected)`,
      };
    }
    case 'format':
      return {
        path,
        at: 'value',
        rule: 'format',
        message: `\`${String(error.data)}\` is not a valid ${error.params.format}`,
      };
    default:
      return {
        path,
        at: 'value',
        rule: error.keyword,
        message: `${error.message ?? 'is invalid'} (found ${describeValue(error.data)})`,
      };
  }
}

/**
 * Replaces the errors of a failed `anyOf` (which ajv lists just before it) by the useful ones: the
 * errors of the branches whose type matched, or a single "must be a string or an object" when none did.
 */
function collapseAnyOf(anyOf: ErrorObject, pending: ErrorObject[]): ErrorObject[] {
  const branchErrors: ErrorObject[] = [];
  while (pending.length > 0 && pending[pending.length - 1].instancePath.startsWith(anyOf.instancePath)) {
    branchErrors.unshift(pending.pop() as ErrorObject);
  }
  const typeMismatches = branchErrors.filter(
    (e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath,
  );
  const meaningful = branchErrors.filter((e) => !typeMismatches.includes(e));
  if (meaningful.length > 0) return meaningful;
  const types = typeMismatches.flatMap((e) => String(e.params.type).split(','));
  return [{ ...anyOf, keyword: 'type', params: { type: types.join(',') } }];
}

function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const kept: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'if') continue;
    // propertyNames lists its inner error (with `propertyName` set) first; the outer one says it all.
    if (error.propertyName !== undefined && error.keyword !== 'propertyNames') continue;
    if (error.keyword === 'anyOf') kept.push(...collapseAnyOf(error, kept));
    else kept.push(error);
  }
  return kept;
}

/**
 * The diagnostics of documents already checked. A loaded document is not changed after loading (its
 * data ends up in a frozen Model), so a document object validated again (an unchanged file or studio
 * document in the next composition) has the same diagnostics.
 */
const checked = new WeakMap<LoadedDocument, readonly Diagnostic[]>();

/** Validates a document against the meta-schema of its kind; every error becomes a located diagnostic. */
export function schemaDiagnostics(document: LoadedDocument): Diagnostic[] {
  let found = checked.get(document);
  if (!found) {
    found = checkSchema(document);
    checked.set(document, found);
  }
  return [...found];
}

function checkSchema(document: LoadedDocument): Diagnostic[] {
  const validate = schemaValidator(document.kind);
  if (validate(document.data)) return [];
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of relevantErrors(validate.errors ?? [])) {
    const finding = describeError(error, document);
    const key = `${finding.path}|${finding.rule}|${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { line, col } = document.positions.locate(finding.path, finding.at);
    diagnostics.push({
      file: document.file,
      line,
      col,
      path: finding.path,
      rule: finding.rule,
      message: finding.message,
      ...(finding.hint ? { hint: finding.hint } : {}),
      severity: 'error',
    });
  }
  return diagnostics;
}
