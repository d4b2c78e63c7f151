import type { CompiledEntity, CompiledField } from '../../../../metadata/src/model';
import { apiPropertyOf, isRequiredOnCreate } from '../../../../metadata/src/model/api-schema';
import { sourceOf, type EmitContext } from '../context';
import { fieldRules, serializeRules } from '../../../../metadata/src/forms/rules';
import { outputPaths } from '../paths';
import type { DraftFile } from '../types';

/** `docs/entities/<module>/<entity>.md`: the reference page of an entity. */
export function emitEntityDocs(ctx: EmitContext): DraftFile[] {
  return ctx.entities.map((entity) => ({
    path: outputPaths.doc(entity),
    source: sourceOf(ctx, 'entity', entity.name),
    entity: entity.name,
    body: ctx.templates.render('docs/entity.md', page(ctx, entity)),
  }));
}

/** A pipe would end a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function codes(values: string[]): string {
  return values.length === 0 ? '—' : values.map((v) => `\`${v}\``).join(', ');
}

function typeOf(field: CompiledField): string {
  const def = field.def;
  switch (def.type) {
    case 'string':
      return `string(${field.length ?? ''})`;
    case 'decimal':
      return `decimal(${def.precision},${def.scale})`;
    case 'enum':
      return `enum: ${(field.enumValues ?? []).join(', ')}`;
    case 'relation':
    case 'children':
    case 'many':
      return `${def.type} → \`${def.to}\``;
    case 'computed':
      return `computed ${def.resultType}`;
    default:
      return def.type;
  }
}

function rulesOf(entity: CompiledEntity, field: CompiledField): string {
  const notes: string[] = [];
  if (field.readonly) notes.push('read-only');
  if (field.unique) notes.push('unique');
  if (field.sensitive) notes.push('sensitive');
  if (field.def.default !== undefined) notes.push(`default ${JSON.stringify(field.def.default)}`);
  const rules = serializeRules(fieldRules(entity, field).filter(([name]) => name !== 'required'));
  const ruleText = typeof rules === 'string' ? rules : rules.map((r) => r.join(':')).join(' ');
  if (ruleText !== '') notes.push(`\`${ruleText.replace(/`/g, "'")}\``);
  if (field.def.visibleWhen) notes.push(`visible when \`${field.def.visibleWhen}\``);
  if (field.def.requiredWhen) notes.push(`required when \`${field.def.requiredWhen}\``);
  if (field.def.readonlyWhen) notes.push(`read-only when \`${field.def.readonlyWhen}\``);
  return notes.length === 0 ? '—' : notes.map((n) => n.replace(/\|/g, '\\|')).join('; ');
}

function page(ctx: EmitContext, entity: CompiledEntity) {
  const model = ctx.model;
  const description = ctx.set.entities.get(entity.name)?.description;
  const list = entity.list;
  const sorts =
    list.defaultSort === undefined
      ? ['-id']
      : Array.isArray(list.defaultSort)
        ? list.defaultSort
        : [list.defaultSort];
  const workflow = entity.workflow ? model.workflows.get(entity.workflow) : undefined;
  return {
    name: entity.name,
    label: entity.label,
    module: entity.module,
    table: entity.table,
    origin: entity.origin,
    owned: entity.owned,
    path: entity.path,
    softDelete: entity.softDelete,
    businessKey: entity.businessKey,
    description: description ? `${description.en}\n\n${description.zh}` : '',
    identifier: entity.identifier,
    fields: entity.fields.map((f) => ({
      name: f.name,
      apiName: apiPropertyOf(f),
      type: cell(typeOf(f)),
      required: isRequiredOnCreate(entity, f) ? 'yes' : f.required ? 'has default' : 'no',
      rules: rulesOf(entity, f),
      label: cell(`${f.label.en} / ${f.label.zh}`),
    })),
    list: {
      columns: codes(list.columns),
      sort: codes(sorts),
      filters: codes(list.filters ?? []),
      search: codes(list.search ?? []),
    },
    workflow: workflow && {
      name: workflow.workflow,
      field: workflow.field ?? 'status',
      initial: workflow.initial,
      states: Object.entries(workflow.states).map(([name, state]) => ({
        name,
        label: cell(`${state.label.en} / ${state.label.zh}`),
        final: state.final ? 'yes' : 'no',
      })),
      transitions: workflow.transitions.map((t) => ({
        action: t.action,
        from: codes(t.from),
        to: t.to,
        permission: t.permission ?? `${entity.name}:${t.action}`,
      })),
    },
  };
}
