/**
 * The form mapping: an entity's form (or, without a form document, its fields) as a FormKit schema.
 * One mapping for everything that renders forms: `mes generate` writes it to
 * ui-runtime/src/generated/forms, and the server serves it for the current Model (so a published
 * change reaches the form without a rebuild). Pure: it reads the compiled Model only.
 */
import type { FormOverlay } from '../studio/layer';
import type { FormDef, FormFieldRef, FormSection, I18nText } from '../types';
import { camelCase, type CompiledEntity, type CompiledField, type Model } from '../model';
import { apiPropertyOf, isWritableField } from '../model/api-schema';
import { enumOptions } from './enum-options';
import { formKitCondition, inputId } from './condition';
import { CUSTOM_RULES, fieldRules, serializeRules } from './rules';

/** A FormKit schema node; `{en, zh}` objects are I18nText the UI runtime resolves to the user's locale. */
export type SchemaNode = Record<string, unknown>;

/** What a form definition holds: the entity, its API path, the form's label, the rules and the schema. */
export interface FormDocument {
  entity: string;
  path: string;
  label: I18nText | string;
  customRules: string[];
  schema: SchemaNode[];
}

const DEFAULT_COLUMNS = 2;

/** Whose form it is: the tenant's extension fields and its overlay (labels, help, order, placement). */
export interface FormLayer {
  /** Extension fields of other tenants are left out; without a tenant only those of every tenant stay. */
  tenantId?: string;
  overlay?: FormOverlay;
}

const EXTENSION_SECTION_TITLE: I18nText = { en: 'Extension fields', zh: '扩展字段' };

/** The form definition of an entity in a Model, layered for a tenant. */
export function formDocument(model: Model, entity: CompiledEntity, layer: FormLayer = {}): FormDocument {
  const form = layeredForm(entity, entity.form ? model.forms.get(entity.form) : undefined, layer);
  const schema = formSchema(model, entity, form);
  const labels = new Map<string, I18nText>();
  for (const [name, change] of Object.entries(layer.overlay?.fields ?? {})) {
    const field = entity.fieldsByName.get(name);
    if (field && change.label) labels.set(apiPropertyOf(field), change.label);
  }
  if (labels.size > 0) relabel(schema, labels);
  return {
    entity: entity.name,
    path: entity.path,
    label: form?.label ?? entity.label,
    customRules: [...CUSTOM_RULES],
    schema,
  };
}

/** Gives the inputs named in `labels` their overlay label. */
function relabel(nodes: SchemaNode[], labels: ReadonlyMap<string, I18nText>): void {
  for (const node of nodes) {
    const label = typeof node.name === 'string' ? labels.get(node.name) : undefined;
    if (label && node.$formkit) {
      node.label = label;
      if (node.validationLabel) node.validationLabel = label;
    }
    if (Array.isArray(node.children)) relabel(node.children as SchemaNode[], labels);
  }
}

/** Whether an extension field belongs to the tenant (declared fields always do). */
function ownField(field: CompiledField, tenantId: string | undefined): boolean {
  return (
    field.storage !== 'ext' || !field.tenants || (tenantId !== undefined && field.tenants.includes(tenantId))
  );
}

/**
 * The form with the tenant's layer applied: extension fields of other tenants removed, the
 * tenant's own placed where the overlay says (or in a trailing section), labels, help and order
 * overridden. Without a form document the default form lists the tenant's fields.
 */
function layeredForm(
  entity: CompiledEntity,
  form: FormDef | undefined,
  layer: FormLayer,
): FormDef | undefined {
  const own = (name: string) => {
    const field = entity.fieldsByName.get(name);
    return !field || ownField(field, layer.tenantId);
  };
  const overlay = layer.overlay ?? {};
  const extension = entity.fields.filter((f) => f.storage === 'ext' && ownField(f, layer.tenantId));
  if (!form) {
    if (!layer.overlay && !entity.fields.some((f) => f.storage === 'ext')) return undefined;
    form = { form: entity.name, entity: entity.name, sections: [{ fields: defaultFormFields(entity) }] };
  }
  const reorder = (section: FormSection): FormSection => {
    const fields = section.fields.filter((item) => own(typeof item === 'string' ? item : item.field));
    const rank = (item: string | FormFieldRef) => {
      const at = (overlay.order ?? []).indexOf(typeof item === 'string' ? item : item.field);
      return at < 0 ? Number.MAX_SAFE_INTEGER : at;
    };
    return { ...section, fields: [...fields].sort((a, b) => rank(a) - rank(b)) };
  };
  const placed = new Set(
    [...(form.sections ?? []), ...(form.tabs ?? []).flatMap((t) => t.sections)].flatMap((s) =>
      s.fields.map((item) => (typeof item === 'string' ? item : item.field)),
    ),
  );
  const sections = (form.tabs ? form.tabs.flatMap((t) => t.sections) : (form.sections ?? [])).map((s) => ({
    ...s,
    fields: [...s.fields],
  }));
  const trailing: string[] = [];
  for (const field of extension) {
    if (placed.has(field.name)) continue;
    const target = overlay.fields?.[field.name]?.section;
    if (target !== undefined && sections[target]) sections[target].fields.push(field.name);
    else trailing.push(field.name);
  }
  const overrides = { ...form.overrides };
  for (const [name, change] of Object.entries(overlay.fields ?? {})) {
    if (!entity.fieldsByName.has(name)) continue;
    overrides[name] = {
      ...overrides[name],
      ...(change.help ? { help: change.help } : {}),
    };
  }
  const extra: FormSection[] =
    trailing.length > 0 ? [{ title: EXTENSION_SECTION_TITLE, fields: trailing }] : [];
  if (form.tabs) {
    let index = 0;
    const tabs = form.tabs.map((tab) => ({
      ...tab,
      sections: tab.sections.map(() => reorder(sections[index++])),
    }));
    if (extra.length > 0) tabs.push({ title: EXTENSION_SECTION_TITLE, sections: extra });
    return { ...form, tabs, overrides };
  }
  return { ...form, sections: [...sections.map(reorder), ...extra], overrides };
}

function formSchema(model: Model, entity: CompiledEntity, form: FormDef | undefined): SchemaNode[] {
  if (!form) return [section(model, entity, undefined, { fields: defaultFormFields(entity) })];
  if (form.tabs) {
    return [
      {
        $cmp: 'MesTabs',
        children: form.tabs.map((tab) => ({
          $cmp: 'MesTab',
          props: { title: tab.title },
          children: tab.sections.map((s) => section(model, entity, form, s)),
        })),
      },
    ];
  }
  return (form.sections ?? []).map((s) => section(model, entity, form, s));
}

/** Without a form document: every field a user edits or reads, in declaration order. */
function defaultFormFields(entity: CompiledEntity): string[] {
  return entity.fields.filter((f) => f.storage !== 'computed' && !f.hidden).map((f) => f.name);
}

function section(
  model: Model,
  entity: CompiledEntity,
  form: FormDef | undefined,
  def: FormSection,
): SchemaNode {
  const columns = def.columns ?? DEFAULT_COLUMNS;
  const children: SchemaNode[] = [];
  if (def.title) children.push({ $el: 'legend', children: def.title });
  for (const item of def.fields) {
    const ref: FormFieldRef = typeof item === 'string' ? { field: item } : item;
    const merged: FormFieldRef = { ...form?.overrides?.[ref.field], ...ref };
    children.push(input(model, entity, merged));
  }
  const node: SchemaNode = {
    $el: 'fieldset',
    attrs: { class: `mes-form-section mes-columns-${columns}` },
    children,
  };
  if (def.visibleWhen) node.if = formKitCondition(entity, def.visibleWhen);
  return node;
}

function input(model: Model, entity: CompiledEntity, ref: FormFieldRef): SchemaNode {
  const field = entity.fieldsByName.get(ref.field);
  if (!field) throw new Error(`Form of ${entity.name} places unknown field '${ref.field}'`);
  const property = apiPropertyOf(field);
  const node: SchemaNode = {
    ...inputType(model, field),
    id: inputId(entity, property),
    name: property,
    label: field.label,
  };
  const help: I18nText | undefined = ref.help ?? field.def.help;
  if (help) node.help = help;
  if (ref.placeholder) node.placeholder = ref.placeholder;
  if (ref.widget) node.$formkit = ref.widget;
  if ((ref.span ?? 1) > 1) node.outerClass = `mes-span-${ref.span}`;
  if (field.def.default !== undefined && field.def.default !== null) node.value = field.def.default;

  const writable = isWritableField(field) && !ref.readonly;
  if (!writable) node.disabled = true;
  else {
    addValidation(entity, field, ref, node);
    const readonlyWhen = [field.def.readonlyWhen, ref.readonlyWhen].filter(
      (e): e is string => e !== undefined,
    );
    if (readonlyWhen.length > 0)
      node.disabled = `$: ${readonlyWhen.map((e) => formKitCondition(entity, e)).join(' || ')}`;
  }

  const visibleWhen = [field.def.visibleWhen, ref.visibleWhen].filter((e): e is string => e !== undefined);
  if (visibleWhen.length > 0) node.if = visibleWhen.map((e) => formKitCondition(entity, e)).join(' && ');
  return node;
}

function addValidation(
  entity: CompiledEntity,
  field: CompiledField,
  ref: FormFieldRef,
  node: SchemaNode,
): void {
  const rules = fieldRules(entity, field);
  const requiredWhen = ref.requiredWhen ?? field.def.requiredWhen;
  if (requiredWhen && !rules.some(([name]) => name === 'required')) {
    node.validation = {
      if: formKitCondition(entity, requiredWhen),
      then: serializeRules([['required'], ...rules]),
      else: serializeRules(rules),
    };
  } else if (rules.length > 0) {
    node.validation = serializeRules(rules);
  }
  if (rules.length > 0 || requiredWhen) node.validationLabel = field.label;
}

/** The FormKit input for a field type, with the props that input needs. */
function inputType(model: Model, field: CompiledField): SchemaNode {
  const def = field.def;
  switch (def.type) {
    case 'string':
      return { $formkit: def.format === 'email' ? 'email' : def.format === 'uri' ? 'url' : 'text' };
    case 'text':
      return { $formkit: 'textarea' };
    case 'integer':
      return { $formkit: 'number', number: 'integer', step: '1' };
    case 'decimal':
      return {
        $formkit: 'number',
        number: 'float',
        step: def.scale > 0 ? `0.${'0'.repeat(def.scale - 1)}1` : '1',
      };
    case 'boolean':
      return { $formkit: 'checkbox' };
    case 'date':
      return { $formkit: 'date' };
    case 'datetime':
      return { $formkit: 'datetime-local' };
    case 'enum':
      return {
        $formkit: 'select',
        options: enumOptions(def),
        ...(field.required ? {} : { placeholder: { en: '—', zh: '—' } }),
      };
    case 'relation':
    case 'many':
      return {
        $formkit: 'relation',
        ...lookupProps(model, field, def.to),
        ...(def.type === 'many' ? { multiple: true } : {}),
      };
    case 'children':
      return { $formkit: 'children', entity: def.to, foreignKey: def.foreignKey };
    case 'file':
      return {
        $formkit: 'file',
        ...(def.accept ? { accept: def.accept.join(',') } : {}),
        multiple: def.multiple ?? false,
      };
    case 'json':
      return { $formkit: 'json' };
    case 'computed':
      return { $formkit: 'text' };
  }
}

/** The lookup of a relation or many field: the target entity, its API path and the field it shows. */
function lookupProps(model: Model, field: CompiledField, target: string): SchemaNode {
  const targetEntity = model.entities.get(target);
  const display = field.relation?.display ?? targetEntity?.display ?? 'id';
  return { entity: target, path: targetEntity?.path ?? target, display: camelCase(display) };
}
