import { api } from './http';
import { i18n, text } from '../i18n';
import type { ActionBody, ActionResult, AvailableAction } from '../../../platform/src/contracts/workflow';
import type { EntityMeta, EntityRecord, I18nText } from './meta';

export type { ActionBody, AvailableAction } from '../../../platform/src/contracts/workflow';

export function availableActions(path: string, id: number): Promise<AvailableAction[]> {
  return api<AvailableAction[]>('GET', `/api/${path}/${id}/actions`);
}

export function fireAction(
  path: string,
  id: number,
  action: string,
  body: ActionBody,
): Promise<ActionResult> {
  return api<ActionResult>('POST', `/api/${path}/${id}/actions/${encodeURIComponent(action)}`, body);
}

/** A workflow state as its definition labels and colours it (`DRAFT` → "Draft", grey). */
export interface StateDisplay {
  value: string;
  label: I18nText;
  color?: string;
}

export function stateField(meta: EntityMeta): string | null {
  return meta.workflow ? (meta.workflow.field ?? 'status') : null;
}

export function stateOf(meta: EntityMeta, record: EntityRecord): StateDisplay | null {
  const field = stateField(meta);
  if (!field || !meta.workflow) return null;
  const property = field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const value = String(record[property] ?? '');
  const state = meta.workflow.states[value];
  return { value, label: state?.label ?? value, color: state?.color };
}

/** Element Plus tag type for a workflow colour name. */
export function tagType(color: string | undefined): 'primary' | 'success' | 'warning' | 'danger' | 'info' {
  switch (color) {
    case 'green':
      return 'success';
    case 'orange':
    case 'yellow':
      return 'warning';
    case 'red':
      return 'danger';
    case 'grey':
    case 'gray':
      return 'info';
    default:
      return 'primary';
  }
}

/**
 * What a workflow button says: the transition's label, with the entity named when the label is a
 * single word ("Cancel" → "Cancel work order"), so a button never reads like the dialog's Cancel.
 */
export function actionLabel(action: AvailableAction, meta: EntityMeta): string {
  const label = text(action.label) || action.action;
  if (/\s/.test(label.trim())) return label;
  const entity = text(meta.label);
  return i18n.global.locale.value === 'zh-CN' ? `${label}${entity}` : `${label} ${entity.toLowerCase()}`;
}
