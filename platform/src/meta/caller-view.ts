/**
 * What of the Model one caller may see: the meta API and the served forms and lists show an
 * authenticated caller only the entities it may read, the fields it may read, the fields it may write
 * as editable, and the actions it holds.
 */
import type { ListDocument, ListView } from '../../../metadata/src/lists/list-document';
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { accessTo, canReadField, canWriteField } from '../security/authorization/access';
import type { Principal, SecureContext } from '../security/principal';

export interface CallerView {
  /** Whether the entity shows at all (an entity the caller cannot read answers 404, like a record). */
  canSee(entity: CompiledEntity): boolean;
  canRead(entity: CompiledEntity, field: CompiledField): boolean;
  canWrite(entity: CompiledEntity, field: CompiledField): boolean;
  /** Workflow and CRUD actions the caller holds on the entity. */
  actions(entity: CompiledEntity): string[];
}

export function callerView(ctx: SecureContext): CallerView {
  return principalView(ctx.principal, ctx.model);
}

function principalView(principal: Principal, model: Model): CallerView {
  const parentOf = (entity: CompiledEntity): string | undefined =>
    entity.owned ? ownerOf(model, entity) : undefined;
  const access = (entity: CompiledEntity, action: string) =>
    accessTo(principal, model, entity.name, action, parentOf(entity));
  return {
    canSee: (entity) => access(entity, 'read').allowed,
    canRead: (entity, field) => canReadField(principal, model, access(entity, 'read'), field),
    canWrite: (entity, field) => {
      const write = ['update', 'create'].map((action) => access(entity, action)).find((a) => a.allowed);
      return write !== undefined && canWriteField(principal, model, write, field);
    },
    actions: (entity) => entity.actions.filter((action) => access(entity, action).allowed),
  };
}

/** The entity whose `children` field owns this one. */
function ownerOf(model: Model, child: CompiledEntity): string | undefined {
  for (const entity of model.entities.values())
    if (entity.fields.some((field) => field.def.type === 'children' && field.def.to === child.name))
      return entity.name;
  return undefined;
}

/**
 * Removes form inputs of fields the caller may not read and disables those it may not write, in a
 * FormKit schema tree (inputs carry the record property as `name`).
 */
export function filterFormSchema(schema: unknown, entity: CompiledEntity, view: CallerView): unknown {
  const byProperty = new Map(entity.fields.map((field) => [apiPropertyOf(field), field]));
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.filter((child) => !hidden(child)).map(visit);
    if (!node || typeof node !== 'object') return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) copy[key] = visit(value);
    const field = fieldOf(node);
    if (field && !view.canWrite(entity, field)) copy.disabled = true;
    return copy;
  };
  const fieldOf = (node: unknown): CompiledField | undefined => {
    if (!node || typeof node !== 'object' || !('$formkit' in node) || !('name' in node)) return undefined;
    return typeof node.name === 'string' ? byProperty.get(node.name) : undefined;
  };
  const hidden = (node: unknown): boolean => {
    const field = fieldOf(node);
    return field !== undefined && !view.canRead(entity, field);
  };
  return visit(schema);
}

/**
 * Removes the columns, filters, search fields and sort terms of fields the caller may not read from a
 * list definition and its named views (they name the record property; system columns stay).
 */
export function filterListDocument(
  document: ListDocument,
  entity: CompiledEntity,
  view: CallerView,
): ListDocument {
  const byProperty = new Map(entity.fields.map((field) => [apiPropertyOf(field), field]));
  const readable = (property: string) => {
    const field = byProperty.get(property.replace(/^-/, ''));
    return !field || view.canRead(entity, field);
  };
  const visible = <T extends ListView>(list: T): T => ({
    ...list,
    columns: list.columns.filter((column) => readable(column.field)),
    defaultSort: list.defaultSort.filter(readable),
    filters: list.filters.filter((filter) => readable(filter.field)),
    search: list.search.filter(readable),
  });
  return {
    ...visible(document),
    views: Object.fromEntries(Object.entries(document.views).map(([name, list]) => [name, visible(list)])),
  };
}
