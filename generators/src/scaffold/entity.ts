import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { EntityDef, FieldDef, I18nText, ModuleDef } from '../../../metadata/src/types';
import { kebabCase } from '../codegen/naming';

/** Field types `mes new entity --field name:type` accepts, with the options each is scaffolded with. */
export const SCAFFOLD_FIELD_TYPES = [
  'string',
  'text',
  'integer',
  'decimal',
  'boolean',
  'date',
  'datetime',
  'enum',
  'relation',
  'json',
] as const;

export type ScaffoldFieldType = (typeof SCAFFOLD_FIELD_TYPES)[number];

export interface FieldSpec {
  name: string;
  type: ScaffoldFieldType;
  /** enum: the values; relation: the target entity. */
  argument?: string;
  required: boolean;
}

export interface EntitySpec {
  module: string;
  name: string;
  label: I18nText;
  fields: FieldSpec[];
}

export interface ScaffoldFile {
  /** Relative to the project root. */
  path: string;
  content: string;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * `code:string`, `qty:integer!` (required), `status:enum=OPEN|DONE`, `item:relation=item_master`.
 * Throws with the offending spec and what was expected.
 */
export function parseFieldSpec(spec: string): FieldSpec {
  const match = /^([^:]+):([a-z]+)(!?)(?:=(.+))?$/.exec(spec.trim());
  if (!match)
    throw new Error(`--field '${spec}': expected name:type, e.g. qty:integer or status:enum=OPEN|DONE`);
  const [, name, type, bang, argument] = match;
  if (!NAME.test(name)) throw new Error(`--field '${spec}': field names are snake_case (${NAME.source})`);
  if (!(SCAFFOLD_FIELD_TYPES as readonly string[]).includes(type)) {
    throw new Error(`--field '${spec}': unknown type '${type}'; one of ${SCAFFOLD_FIELD_TYPES.join(', ')}`);
  }
  if ((type === 'enum' || type === 'relation') && !argument) {
    throw new Error(
      `--field '${spec}': ${type} needs ${type === 'enum' ? 'values (=A|B)' : 'a target entity (=item_master)'}`,
    );
  }
  return { name, type: type as ScaffoldFieldType, argument, required: bang === '!' };
}

/** `planned_start` → `Planned start`. */
export function humanize(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldDef(spec: FieldSpec): FieldDef {
  const label = { en: humanize(spec.name), zh: humanize(spec.name) };
  const common = { label, ...(spec.required ? { required: true } : {}) };
  switch (spec.type) {
    case 'string':
      return { type: 'string', length: 64, ...common };
    case 'text':
      return { type: 'text', maxLength: 2000, ...common };
    case 'decimal':
      return { type: 'decimal', precision: 18, scale: 4, ...common };
    case 'enum':
      return { type: 'enum', values: (spec.argument ?? '').split('|').filter((v) => v !== ''), ...common };
    case 'relation':
      return { type: 'relation', to: spec.argument ?? '', ...common };
    default:
      return { type: spec.type, ...common };
  }
}

/** Where a module's metadata lives: a plugin folder when `plugins/<module>/plugin.yaml` exists, else core. */
export function metadataDir(root: string, module: string): string {
  return existsSync(join(root, 'plugins', module, 'plugin.yaml'))
    ? `plugins/${module}/metadata`
    : `metadata/modules/${module}`;
}

/**
 * The metadata file of a new entity (and its module's `module.yaml` when the module is new): valid
 * as written, so `mes validate` passes before anyone edits it. The zh labels repeat the English
 * ones until translated.
 */
export function scaffoldEntity(root: string, spec: EntitySpec): ScaffoldFile[] {
  if (!NAME.test(spec.module)) throw new Error(`module '${spec.module}' must be snake_case (${NAME.source})`);
  if (!NAME.test(spec.name)) throw new Error(`entity '${spec.name}' must be snake_case (${NAME.source})`);
  const fields =
    spec.fields.length > 0 ? spec.fields : [{ name: 'name', type: 'string' as const, required: true }];
  const display = fields.find((f) => f.type === 'string')?.name ?? fields[0].name;
  const dir = metadataDir(root, spec.module);
  const entity: EntityDef = {
    entity: spec.name,
    label: spec.label,
    pluralLabel: spec.label,
    module: spec.module,
    display,
    fields: Object.fromEntries(fields.map((f) => [f.name, fieldDef(f)])),
    list: {
      columns: fields
        .filter((f) => f.type !== 'text' && f.type !== 'json')
        .slice(0, 6)
        .map((f) => f.name),
      defaultSort: '-id',
      search: fields
        .filter((f) => f.type === 'string')
        .slice(0, 2)
        .map((f) => f.name),
    },
  };
  const files: ScaffoldFile[] = [
    { path: `${dir}/entities/${kebabCase(spec.name)}.yaml`, content: stringify(entity, { lineWidth: 0 }) },
  ];
  const modulePath = `${dir}/module.yaml`;
  if (dir.startsWith('metadata/') && !existsSync(join(root, modulePath))) {
    const module: ModuleDef = {
      module: spec.module,
      label: { en: humanize(spec.module), zh: humanize(spec.module) },
    };
    files.unshift({ path: modulePath, content: stringify(module) });
  }
  return files;
}
