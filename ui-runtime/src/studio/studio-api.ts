/** The Metadata Studio API (`/api/studio`): change sets, validation, preview, publish, versions. */
import type { Dashboard, DashboardFilters } from '../api/bi';
import { api } from '../api/http';

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

export interface StudioError {
  document: string;
  path: string;
  rule: string;
  message: string;
}

export interface SchemaStep {
  kind: string;
  table: string;
  name?: string;
  destructive: boolean;
}

export interface StudioDiff {
  schema: SchemaStep[];
  /** What only a destructive publish drops (tables and columns the draft no longer has). */
  dropped?: SchemaStep[];
  api: {
    added: string[];
    removed: string[];
    changed: { path: string; addedFields: string[]; removedFields: string[] }[];
  };
  documents: { added: string[]; changed: string[]; removed: string[] };
  /** References to renamed fields the publish rewrites in the layer's documents. */
  references?: { document: string; path: string; from: string; to: string }[];
  extensionFields: { added: string[]; archived: string[] };
  formOverlays: string[];
}

export interface StudioCheck {
  valid: boolean;
  errors: StudioError[];
  baseVersion: number;
  currentVersion: number;
  needsRebase: boolean;
  destructive: boolean;
  diff?: StudioDiff;
}

export interface StudioVersion {
  version: number;
  createdAt: string;
  createdBy: string | null;
  changeSet: { id: number; csNo: string; title: string } | null;
  rollbackOf?: number;
  diff: StudioDiff;
}

export interface ModelSummary {
  entities: {
    name: string;
    path: string;
    label: I18n;
    module: string;
    origin: string;
    extensible: boolean;
    archived: boolean;
    actions: string[];
    fields: { name: string; type: string; label: I18n; storage: string; to?: string }[];
    sections: I18n[];
  }[];
  roles: { name: string; label: I18n; permissions: string[] }[];
  modules: string[];
  /** The served rules (core, plugins and the published studio layer). */
  rules: RuleDraft[];
}

export type RuleTrigger =
  | { on: 'created' | 'deleted' }
  | { on: 'updated'; fields?: string[] }
  | { on: 'changed'; field: string; from?: string; to?: string }
  | { on: 'transition'; action?: string; to?: string }
  | { on: 'event'; event: string }
  | { on: 'schedule'; cron: string }
  | {
      on: 'timer';
      after: { minutes?: number; hours?: number; days?: number };
      since?: string;
      state?: string;
    };

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

/** What a rule would do to a record (a test run; nothing is written). */
export interface RuleTestRun {
  rule: string;
  recordId: number | null;
  synchronous: boolean;
  holds: boolean;
  measures: Record<string, number>;
  actions: { action: string; detail: Record<string, unknown> }[];
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

export const studioApi = {
  list: () => api<{ items: ChangeSet[] }>('GET', '/api/studio/change-sets?pageSize=100&sort=-id'),
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
    api<{ errors: StudioError[]; form: { schema: unknown[] } | null }>('POST', '/api/studio/form-preview', {
      content: cleanContent(content),
      entity,
    }),
  ruleTest: (content: ChangeSetContent, rule: string, recordId: number | null) =>
    api<RuleTestRun>('POST', '/api/studio/rule-test', { content: cleanContent(content), rule, recordId }),
  action: (changeSet: ChangeSet, action: string, reason?: string) =>
    api<{ record: ChangeSet }>('POST', `/api/studio/change-sets/${changeSet.id}/actions/${action}`, {
      version: changeSet.version,
      ...(reason ? { reason } : {}),
    }),
  rebase: (changeSet: ChangeSet) =>
    api<ChangeSet>('POST', `/api/studio/change-sets/${changeSet.id}/rebase`, { version: changeSet.version }),
  publish: (changeSet: ChangeSet, confirmDestructive = false) =>
    api<{ version: number; record: ChangeSet }>('POST', `/api/studio/change-sets/${changeSet.id}/publish`, {
      version: changeSet.version,
      confirmDestructive,
    }),
  dashboardPreview: (content: ChangeSetContent, dashboard: string, filters: DashboardFilters) =>
    api<{ errors: StudioError[]; dashboard: Dashboard | null }>('POST', '/api/studio/dashboard-preview', {
      content: cleanContent(content),
      dashboard,
      filters: Object.fromEntries(
        Object.entries(filters).filter(([, value]) => value !== null && value !== undefined && value !== ''),
      ),
    }),
  kpis: () => api<{ name: string; label: I18n; entity: string }[]>('GET', '/api/bi/kpis'),
  model: () => api<ModelSummary>('GET', '/api/studio/model'),
  published: () =>
    api<{ version: number; layer: { documents: MetadataDocument[] } }>('GET', '/api/studio/published'),
  versions: () => api<StudioVersion[]>('GET', '/api/studio/versions'),
  rollback: (version: number) => api<{ version: number }>('POST', '/api/studio/rollback', { version }),
};

/** Kind and name of a document: its first key and that key's value. */
export function documentKey(document: MetadataDocument): { kind: string; name: string } {
  const kind = Object.keys(document)[0] ?? '';
  return { kind, name: String(document[kind] ?? '') };
}
