/** The Metadata Studio API (`/api/studio`): change sets, validation, preview, publish, versions. */
import type { RuleTestRun } from '../../../platform/src/contracts/automation';
import type { KpiSummary } from '../../../platform/src/contracts/bi';
import type { ListResult } from '../../../platform/src/contracts/crud';
import type {
  DashboardPreview,
  FormPreview,
  PublishedLayer,
  PublishResult,
  RollbackResult,
  RuleTrigger,
  StudioCheck,
  StudioModelSummary,
  StudioVersionSummary,
} from '../../../platform/src/contracts/studio';
import type { ActionResult } from '../../../platform/src/contracts/workflow';
import type { DashboardFilters } from '../api/bi';
import { api } from '../api/http';

export type { RuleTestRun, StudioCheck };
export type {
  RuleTrigger,
  StudioError,
  StudioModelSummary as ModelSummary,
  StudioVersionSummary as StudioVersion,
} from '../../../platform/src/contracts/studio';

export type I18n = { en: string; zh: string };
export type MetadataDocument = Record<string, unknown>;

export interface FieldDraft {
  type: string;
  label?: I18n;
  help?: I18n;
  required?: boolean;
  unique?: boolean;
  sensitive?: boolean;
  readonly?: boolean;
  length?: number;
  maxLength?: number;
  precision?: number;
  scale?: number;
  min?: number;
  max?: number;
  pattern?: string;
  default?: unknown;
  values?: ({ value: string; label: I18n } | string)[];
  to?: string;
  foreignKey?: string;
  multiple?: boolean;
  [key: string]: unknown;
}

export interface ExtensionFieldDraft {
  entity: string;
  name: string;
  definition: FieldDraft;
}

export interface FormOverlayDraft {
  entity: string;
  overlay: { fields?: Record<string, { label?: I18n; help?: I18n; section?: number }>; order?: string[] };
}

export interface ChangeSetContent {
  documents: MetadataDocument[];
  grants: Record<string, string[]>;
  extensionFields: ExtensionFieldDraft[];
  formOverlays: FormOverlayDraft[];
}

export interface ChangeSet {
  id: number;
  version: number;
  csNo: string;
  title: string;
  description?: string | null;
  status: 'DRAFT' | 'IN_REVIEW' | 'PUBLISHED' | 'REJECTED';
  content: ChangeSetContent | null;
  baseVersion: number;
  publishedVersion?: number | null;
}

/** A rule document (`rule:`) as the designer edits it; actions keep their metadata shape. */
export interface RuleDraft {
  rule: string;
  label: I18n;
  module: string;
  entity: string;
  description?: I18n;
  enabled?: boolean;
  trigger: RuleTrigger;
  when?: string;
  measures?: Record<string, unknown>;
  actions: RuleActionDraft[];
  attempts?: number;
  [key: string]: unknown;
}

type Values = Record<string, string | number | boolean | null>;

/** One action of a rule: exactly one of the action keys, with `record`/`values`/`reason` beside it. */
export interface RuleActionDraft {
  set?: Values;
  record?: string;
  refuse?: I18n;
  transition?: string;
  reason?: string;
  create?: string;
  values?: Values;
  alert?: { title: I18n; severity: string; type: string; assignee?: string; value?: string };
  notify?: { users?: string[]; roles?: string[]; title: I18n; body?: I18n; channels?: string[] };
  webhook?: string;
  startTimer?: string;
  cancelTimer?: string;
}

export const emptyContent = (): ChangeSetContent => ({
  documents: [],
  grants: {},
  extensionFields: [],
  formOverlays: [],
});

/**
 * The content as sent: labels and help left empty in both languages are dropped (the metadata
 * language requires text where they are given), and so are empty lists of optional parts.
 */
export function cleanContent(content: ChangeSetContent): ChangeSetContent {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, clean(v)] as const)
      .filter(([, v]) => !isEmptyText(v));
    return Object.fromEntries(entries);
  };
  return clean(content) as ChangeSetContent;
}

function isEmptyText(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 0 ||
    (keys.every((k) => k === 'en' || k === 'zh') && keys.every((k) => !(value as I18n)[k as 'en']))
  );
}

/** An answer whose `record` is the change set (a record of the change_set entity). */
type Served<T extends { record: unknown }> = Omit<T, 'record'> & { record: ChangeSet };

export const studioApi = {
  list: () => api<ListResult<ChangeSet>>('GET', '/api/studio/change-sets?pageSize=100&sort=-id'),
  get: (id: number) => api<ChangeSet>('GET', `/api/studio/change-sets/${id}`),
  create: (title: string, description?: string) =>
    api<ChangeSet>('POST', '/api/studio/change-sets', { title, description, content: emptyContent() }),
  save: (changeSet: ChangeSet, content: ChangeSetContent) =>
    api<ChangeSet>('PATCH', `/api/studio/change-sets/${changeSet.id}`, {
      version: changeSet.version,
      title: changeSet.title,
      content: cleanContent(content),
    }),
  preview: (id: number) => api<StudioCheck>('GET', `/api/studio/change-sets/${id}/preview`),
  validate: (content: ChangeSetContent) =>
    api<StudioCheck>('POST', '/api/studio/validate', { content: cleanContent(content) }),
  formPreview: (content: ChangeSetContent, entity: string) =>
    api<FormPreview>('POST', '/api/studio/form-preview', {
      content: cleanContent(content),
      entity,
    }),
  ruleTest: (content: ChangeSetContent, rule: string, recordId: number | null) =>
    api<RuleTestRun>('POST', '/api/studio/rule-test', { content: cleanContent(content), rule, recordId }),
  action: (changeSet: ChangeSet, action: string, reason?: string) =>
    api<Served<ActionResult>>('POST', `/api/studio/change-sets/${changeSet.id}/actions/${action}`, {
      version: changeSet.version,
      ...(reason ? { reason } : {}),
    }),
  rebase: (changeSet: ChangeSet) =>
    api<ChangeSet>('POST', `/api/studio/change-sets/${changeSet.id}/rebase`, { version: changeSet.version }),
  publish: (changeSet: ChangeSet, confirmDestructive = false) =>
    api<Served<PublishResult>>('POST', `/api/studio/change-sets/${changeSet.id}/publish`, {
      version: changeSet.version,
      confirmDestructive,
    }),
  dashboardPreview: (content: ChangeSetContent, dashboard: string, filters: DashboardFilters) =>
    api<DashboardPreview>('POST', '/api/studio/dashboard-preview', {
      content: cleanContent(content),
      dashboard,
      filters: Object.fromEntries(
        Object.entries(filters).filter(([, value]) => value !== null && value !== undefined && value !== ''),
      ),
    }),
  kpis: () => api<KpiSummary[]>('GET', '/api/bi/kpis'),
  model: () => api<StudioModelSummary>('GET', '/api/studio/model'),
  published: () => api<PublishedLayer>('GET', '/api/studio/published'),
  versions: () => api<StudioVersionSummary[]>('GET', '/api/studio/versions'),
  rollback: (version: number) => api<RollbackResult>('POST', '/api/studio/rollback', { version }),
};

/** Kind and name of a document: its first key and that key's value. */
export function documentKey(document: MetadataDocument): { kind: string; name: string } {
  const kind = Object.keys(document)[0] ?? '';
  return { kind, name: String(document[kind] ?? '') };
}
