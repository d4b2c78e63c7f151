import type { SchemaObject } from 'ajv';
import { DOCUMENT_KINDS } from '../../../metadata/src/loader';
import { FUNCTIONS } from '../../../metadata/src/expression';
import { RULES } from '../../../metadata/src/rules';
import { KIND_SCHEMAS, SHARED_SCHEMAS } from '../../../metadata/src/validator';
import type { DocumentKind } from '../../../metadata/src/types';

/** Where a metadata document of each kind usually lives. */
const KIND_FILES: Record<DocumentKind, string> = {
  module: 'metadata/modules/<module>/module.yaml',
  entity: 'metadata/modules/<module>/entities/<name>.yaml',
  form: 'metadata/modules/<module>/forms/<name>.yaml',
  workflow: 'metadata/modules/<module>/workflows/<name>.yaml',
  dashboard: 'metadata/modules/<module>/dashboards/<name>.yaml',
  rule: 'metadata/modules/<module>/rules/<name>.yaml',
  role: 'metadata/modules/<module>/roles/<name>.yaml',
  permission: 'metadata/modules/<module>/permissions/<name>.yaml',
  menu: 'metadata/modules/<module>/menus/<name>.yaml',
  plugin: 'plugins/<plugin>/plugin.yaml',
};

const SHARED = SHARED_SCHEMAS[0];
const sharedDefs = (SHARED.$defs ?? {}) as Record<string, SchemaObject>;

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function anchor(kind: string, def?: string): string {
  return def ? `${kind}-${def}`.toLowerCase() : kind.toLowerCase();
}

/** A readable type for a property schema, with links to the definitions it uses. */
function typeOf(schema: SchemaObject, kind: string): string {
  if (typeof schema.$ref === 'string') {
    const [file, fragment = ''] = schema.$ref.split('#');
    const name = fragment.split('/').pop() ?? '';
    return file ? `[${name}](#${anchor('def', name)})` : `[${name}](#${anchor(kind, name)})`;
  }
  if (schema.enum) return (schema.enum as unknown[]).map((value) => `\`${String(value)}\``).join(' | ');
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.anyOf) return (schema.anyOf as SchemaObject[]).map((part) => typeOf(part, kind)).join(' or ');
  if (schema.type === 'array')
    return `list of ${schema.items ? typeOf(schema.items as SchemaObject, kind) : 'any'}`;
  if (
    schema.type === 'object' &&
    schema.additionalProperties &&
    typeof schema.additionalProperties === 'object'
  ) {
    return `map of name → ${typeOf(schema.additionalProperties as SchemaObject, kind)}`;
  }
  if (Array.isArray(schema.type)) return (schema.type as string[]).join(' | ');
  return String(schema.type ?? 'any');
}

/** A property's own description, else the one of the definition it references. */
function describeProperty(schema: SchemaObject, root: SchemaObject): string {
  if (typeof schema.description === 'string') return schema.description;
  if (typeof schema.$ref !== 'string') return '';
  const [file, fragment = ''] = schema.$ref.split('#');
  const name = fragment.split('/').pop() ?? '';
  const defs = (file ? sharedDefs : (root.$defs ?? {})) as Record<string, SchemaObject>;
  const description = defs[name]?.description;
  return typeof description === 'string' ? description : '';
}

function constraints(schema: SchemaObject): string {
  const notes: string[] = [];
  if (schema.pattern) notes.push(`pattern \`${String(schema.pattern)}\``);
  if (schema.minimum !== undefined) notes.push(`≥ ${String(schema.minimum)}`);
  if (schema.maximum !== undefined) notes.push(`≤ ${String(schema.maximum)}`);
  if (schema.minItems !== undefined) notes.push(`at least ${String(schema.minItems)} item(s)`);
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

function propertyRows(schema: SchemaObject, kind: string, root: SchemaObject, prefix: string): string[] {
  const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).flatMap(([name, property]) => {
    const fallback = property.default !== undefined ? `\`${JSON.stringify(property.default)}\`` : '';
    const cells = [
      `\`${prefix}${name}\``,
      typeOf(property, kind),
      required.has(name) ? 'yes' : '',
      fallback,
      describeProperty(property, root) + constraints(property),
    ];
    // Inline objects (`measure`, `permissions`) list their own properties as `parent.child` rows.
    const nested = property.properties ? propertyRows(property, kind, root, `${prefix}${name}.`) : [];
    return [`| ${cells.map(escapeCell).join(' | ')} |`, ...nested];
  });
}

/** The property table of an object schema. */
function propertyTable(schema: SchemaObject, kind: string, root: SchemaObject): string[] {
  const rows = propertyRows(schema, kind, root, '');
  if (rows.length === 0) return ['No properties of its own.', ''];
  return [
    '| Property | Type | Required | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** Field type names per field definition (`stringField` → `string`), read from the `field` dispatch. */
function fieldTypesByDef(): Map<string, string[]> {
  const field = ((KIND_SCHEMAS.entity.$defs ?? {}) as Record<string, SchemaObject>).field;
  const types = new Map<string, string[]>();
  for (const branch of (field?.allOf ?? []) as SchemaObject[]) {
    const condition = (branch.if as SchemaObject).properties as Record<string, SchemaObject>;
    const names = (condition.type.enum as string[] | undefined) ?? [String(condition.type.const)];
    types.set(
      String((branch.then as SchemaObject).$ref)
        .split('/')
        .pop() ?? '',
      names,
    );
  }
  return types;
}

function heading(level: number, title: string, id: string): string[] {
  return [`<a id="${id}"></a>`, '', `${'#'.repeat(level)} ${title}`, ''];
}

function renderDef(kind: DocumentKind, name: string, def: SchemaObject): string[] {
  const fieldTypes = kind === 'entity' ? fieldTypesByDef().get(name) : undefined;
  const title = fieldTypes
    ? `Field type ${fieldTypes.map((type) => `\`${type}\``).join(' / ')}`
    : `${kind} › ${name}`;
  const lines = heading(3, title, anchor(kind, name));
  if (typeof def.description === 'string') lines.push(def.description, '');
  if (def.anyOf)
    lines.push(
      `One of: ${(def.anyOf as SchemaObject[]).map((part) => typeOf(part, kind)).join(' or ')}.`,
      '',
    );
  if (def.allOf && def.unevaluatedProperties === false) {
    lines.push(`Accepts every property of [fieldCommon](#${anchor(kind, 'fieldCommon')}) and these:`, '');
  }
  if (def.properties) lines.push(...propertyTable(def, kind, KIND_SCHEMAS[kind]));
  return lines;
}

function renderKind(kind: DocumentKind): string[] {
  const schema = KIND_SCHEMAS[kind];
  const lines = heading(2, `\`${kind}\` — ${String(schema.title)}`, anchor(kind));
  lines.push(String(schema.description), '', `File: \`${KIND_FILES[kind]}\``, '');
  lines.push(...propertyTable(schema, kind, schema));
  const defs = (schema.$defs ?? {}) as Record<string, SchemaObject>;
  for (const [name, def] of Object.entries(defs)) lines.push(...renderDef(kind, name, def));
  return lines;
}

function renderShared(): string[] {
  const lines = heading(2, 'Shared definitions', 'shared-definitions');
  for (const [name, def] of Object.entries(sharedDefs)) {
    lines.push(...heading(3, name, anchor('def', name)));
    lines.push(`${String(def.description)}${constraints(def)}`, '');
    if (def.properties) lines.push(...propertyTable(def, 'def', SHARED));
  }
  return lines;
}

function renderExpressions(): string[] {
  const functions = [...FUNCTIONS.entries()].map(([name, fn]) => {
    const arity = fn.maxArgs === Number.POSITIVE_INFINITY ? `${fn.minArgs}+` : `${fn.minArgs}`;
    return `\`${name}\` (${arity} argument${arity === '1' ? '' : 's'})`;
  });
  return [
    ...heading(2, 'Expressions', 'expressions'),
    'Guards, `visibleWhen`, `requiredWhen`, `readonlyWhen`, computed fields, approval conditions and dashboard',
    "filters use one small, safe expression language (no code execution). Literals: numbers, `'single'` or",
    '`"double"` quoted strings, `true`, `false`, `null`. Identifiers are fields of the record, with dot paths',
    'through relations',
    '(`item.item_type`); names starting with `$` are runtime context. Operators: `== != > >= < <=`,',
    '`and or not` (also `&& || !`), `in [..]`, `not in [..]`, `+ - * /` and parentheses.',
    '',
    `Functions: ${functions.join(', ')}.`,
    '',
  ];
}

function renderRules(): string[] {
  return [
    ...heading(2, 'Validation rules', 'validation-rules'),
    'Each diagnostic of `mes validate` names its file, line and column, the JSON path of the value, the',
    'rule broken and often a hint. Meta-schema errors name the JSON Schema keyword (`required`, `type`,',
    '`enum`, `additionalProperties`, `unevaluatedProperties`, `pattern`…); the other rules are:',
    '',
    '| Rule | Checks that |',
    '| --- | --- |',
    ...Object.entries(RULES).map(([rule, meaning]) => `| \`${rule}\` | ${escapeCell(meaning)} |`),
    '',
  ];
}

/** docs/metadata.md: the reference of the metadata language, generated from the meta-schemas. */
export function renderMetadataReference(): string {
  const lines = [
    '# Metadata language reference',
    '',
    '<!-- Generated from metadata/schema/*.schema.json by `npm run docs:metadata`. Do not edit by hand. -->',
    '',
    'Every metadata file (`.yaml`, `.yml` or `.json`) holds one document. Its first key names its kind',
    "and its value is the document's name, unique across core modules and plugins. `mes validate` checks",
    'each document against the meta-schema of its kind and then the documents against each other.',
    '',
    '| Kind | Title | File |',
    '| --- | --- | --- |',
    ...DOCUMENT_KINDS.map(
      (kind) =>
        `| [\`${kind}\`](#${anchor(kind)}) | ${String(KIND_SCHEMAS[kind].title)} | \`${KIND_FILES[kind]}\` |`,
    ),
    '',
    ...DOCUMENT_KINDS.flatMap(renderKind),
    ...renderShared(),
    ...renderExpressions(),
    ...renderRules(),
  ];
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
