import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { BusinessRuleError } from './errors';
import type { EntityRecord } from './types';

/**
 * What a record's workflow states allow beyond transitions (`states.<S>.editable`, `deletable`): an
 * edit may change only the fields its state lists, a delete only where the state allows it. Values
 * sent unchanged are not changes, so a form that sends the whole record back passes.
 */
export function assertStateAllowsEdit(
  model: Model,
  entity: CompiledEntity,
  current: EntityRecord,
  patch: EntityRecord,
): void {
  for (const { workflow, state, label, editable } of statesOf(model, entity, current)) {
    if (editable === undefined) continue;
    const allowed = new Set(editable.map((name) => propertyOf(entity, name)));
    for (const [property, value] of Object.entries(patch)) {
      if (property === 'version' || allowed.has(property) || sameValue(value, current[property])) continue;
      const message = `${describe(entity, current)} is ${state}: ${property} cannot be changed`;
      const field = entity.fields.find((f) => apiPropertyOf(f) === property)?.label.zh ?? property;
      throw new BusinessRuleError(message, {
        i18n: {
          en: message,
          zh: `${describe(entity, current, 'zh')} 处于「${label.zh}」状态：${field} 不可修改`,
        },
        labels: { states: { [state]: label } },
        errors: [
          {
            field: property,
            path: `/${property}`,
            rule: 'state-locked',
            limit: state,
            message: `${property} cannot be changed in state ${state} (${workflow})`,
          },
        ],
      });
    }
  }
}

export function assertStateAllowsDelete(model: Model, entity: CompiledEntity, current: EntityRecord): void {
  for (const { state, label, deletable } of statesOf(model, entity, current)) {
    if (deletable !== false) continue;
    const message = `${describe(entity, current)} is ${state} and cannot be deleted`;
    throw new BusinessRuleError(message, {
      rule: 'state-locked',
      limit: state,
      i18n: { en: message, zh: `${describe(entity, current, 'zh')} 处于「${label.zh}」状态，不可删除` },
    });
  }
}

function statesOf(model: Model, entity: CompiledEntity, record: EntityRecord) {
  const found = [];
  for (const workflow of model.workflows.values()) {
    if (workflow.entity !== entity.name) continue;
    const state = String(record[propertyOf(entity, workflow.field ?? 'status')] ?? '');
    const definition = workflow.states[state];
    if (definition)
      found.push({
        workflow: workflow.workflow,
        state,
        label: definition.label,
        editable: definition.editable,
        deletable: definition.deletable,
      });
  }
  return found;
}

function propertyOf(entity: CompiledEntity, name: string): string {
  const field = entity.fieldsByName.get(name);
  return field ? apiPropertyOf(field) : name;
}

/** The record as messages name it: the entity (by its label in Chinese) and its display value. */
function describe(entity: CompiledEntity, record: EntityRecord, locale: 'en' | 'zh' = 'en'): string {
  const display = entity.display ? record[propertyOf(entity, entity.display)] : undefined;
  return `${locale === 'zh' ? entity.label.zh : entity.name} ${String(display ?? record.id)}`;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

function sameValue(sent: unknown, stored: unknown): boolean {
  if (sent === stored) return true;
  if (typeof sent === 'number' || typeof stored === 'number') return Number(sent) === Number(stored);
  if (typeof sent === 'string' && typeof stored === 'string' && ISO_DATE.test(sent) && ISO_DATE.test(stored))
    return Date.parse(sent) === Date.parse(stored);
  return JSON.stringify(sent) === JSON.stringify(stored);
}
