/**
 * The compiled Model as clients need it: the UI renders lists and forms from it and the typed client
 * is generated from it. Extension fields registered for other tenants are left out, and so is what
 * the caller may not see (caller-view.ts).
 */
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import type { FormDef } from '../../../metadata/src/types';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import type { EntityMeta, EntitySummary, FieldMeta } from '../contracts/meta';
import type { CallerView } from './caller-view';

export type { EntityMeta, EntitySummary, FieldMeta };

/** Entities a client may address directly (owned children live inside their parent). */
export function entitySummaries(model: Model, view: CallerView): EntitySummary[] {
  return [...model.entities.values()]
    .filter((e) => !e.owned && view.canSee(e))
    .map(summary)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function entityMeta(
  model: Model,
  entity: CompiledEntity,
  tenantId: string,
  view: CallerView,
): EntityMeta {
  return {
    ...summary(entity),
    modelVersion: model.version,
    identifier: entity.identifier
      ? { field: entity.identifier.field, pattern: entity.identifier.pattern }
      : null,
    fields: withStateLabels(
      model,
      entity,
      visibleFields(entity, tenantId)
        .filter((f) => view.canRead(entity, f))
        .map((f) => fieldMeta(model, f, !view.canWrite(entity, f))),
    ),
    systemFields: entity.systemColumns
      .filter((c) => c.apiName !== 'tenantId' && c.apiName !== 'ext')
      .map((c) => ({ apiName: c.apiName, type: c.columnType, nullable: c.nullable })),
    list: entity.list,
    views: entity.views,
    form: formOf(model, entity),
    workflow: entity.workflow ? (model.workflows.get(entity.workflow) ?? null) : null,
    actions: view.actions(entity),
    extension: entity.extension,
    appendOnly: entity.appendOnly,
    softDelete: entity.softDelete,
    attachments: entity.attachments,
    comments: entity.comments,
  };
}

/**
 * The workflow's state field shows its values as the workflow labels and colours its states, unless the
 * field labels a value itself: a list or filter then reads "Released", not `RELEASED`.
 */
function withStateLabels(model: Model, entity: CompiledEntity, fields: FieldMeta[]): FieldMeta[] {
  const workflow = entity.workflow ? model.workflows.get(entity.workflow) : undefined;
  if (!workflow) return fields;
  const stateField = workflow.field ?? 'status';
  return fields.map((field) =>
    field.name === stateField && field.enumValues
      ? {
          ...field,
          enumValues: field.enumValues.map((option) => {
            const state = workflow.states[option.value];
            return {
              ...option,
              ...(option.label === undefined && state?.label ? { label: state.label } : {}),
              ...(option.color === undefined && state?.color ? { color: state.color } : {}),
            };
          }),
        }
      : field,
  );
}

/** Declared fields plus the extension fields that apply to the tenant. */
export function visibleFields(entity: CompiledEntity, tenantId: string): CompiledField[] {
  return entity.fields.filter((f) => !f.tenants || f.tenants.includes(tenantId));
}

function summary(entity: CompiledEntity): EntitySummary {
  return {
    name: entity.name,
    path: entity.path,
    label: entity.label,
    pluralLabel: entity.pluralLabel,
    module: entity.module,
    display: entity.display,
    businessKey: entity.businessKey ?? null,
    origin: entity.origin,
  };
}

function fieldMeta(model: Model, field: CompiledField, writeDenied: boolean): FieldMeta {
  const def = field.def;
  const meta: FieldMeta = {
    name: field.name,
    apiName: field.apiName,
    property: apiPropertyOf(field),
    type: field.type,
    label: field.label,
    required: field.required,
    unique: field.unique,
    readonly: field.readonly || writeDenied,
    sensitive: field.sensitive,
    hidden: field.hidden,
    extension: field.storage === 'ext',
    constraints: constraintsOf(field),
  };
  if (def.description) meta.description = def.description;
  if (def.help) meta.help = def.help;
  if (def.default !== undefined) meta.default = def.default;
  if (def.visibleWhen) meta.visibleWhen = def.visibleWhen;
  if (def.requiredWhen) meta.requiredWhen = def.requiredWhen;
  if (def.readonlyWhen) meta.readonlyWhen = def.readonlyWhen;
  if (def.type === 'enum') {
    meta.enumValues = def.values.map((v) =>
      typeof v === 'string' ? { value: v } : { value: v.value, label: v.label, color: v.color },
    );
  }
  if (field.relation) {
    meta.relation = {
      target: field.relation.target,
      targetPath: pathOf(model, field.relation.target),
      display: field.relation.display,
    };
  }
  if (field.children) {
    meta.children = {
      target: field.children.target,
      foreignKey: field.children.foreignKey,
      orderBy: field.children.orderBy,
    };
  }
  if (field.many) meta.many = { target: field.many.target, targetPath: pathOf(model, field.many.target) };
  return meta;
}

const CONSTRAINT_KEYS = [
  'length',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'min',
  'max',
  'exclusiveMin',
  'precision',
  'scale',
  'range',
  'maxSize',
  'accept',
  'multiple',
  'minItems',
  'maxItems',
] as const;

function constraintsOf(field: CompiledField): Record<string, unknown> {
  const def = field.def as unknown as Record<string, unknown>;
  const constraints: Record<string, unknown> = {};
  for (const key of CONSTRAINT_KEYS) if (def[key] !== undefined) constraints[key] = def[key];
  if (field.type === 'string' && constraints.length === undefined && field.length !== undefined)
    constraints.length = field.length;
  return constraints;
}

function pathOf(model: Model, entity: string): string | null {
  const target = model.entities.get(entity);
  return target && !target.owned ? target.path : null;
}

function formOf(model: Model, entity: CompiledEntity): FormDef | null {
  if (entity.form) return model.forms.get(entity.form) ?? null;
  return [...model.forms.values()].find((f) => f.entity === entity.name) ?? null;
}
