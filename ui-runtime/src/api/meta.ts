/** Shapes of `GET /api/meta/entities[/:entity]` (platform/src/meta/entity-meta.ts) the screens read. */
export type I18nText = string | Record<string, string>;

export interface EntitySummary {
  name: string;
  path: string;
  label: I18nText;
  pluralLabel: I18nText;
  module: string;
  display: string;
  businessKey: string | null;
}

export interface FieldMeta {
  name: string;
  apiName: string;
  property: string;
  type: string;
  label: I18nText;
  required: boolean;
  default?: unknown;
  readonly: boolean;
  hidden: boolean;
  sensitive: boolean;
  enumValues?: { value: string; label?: I18nText; color?: string }[];
  relation?: { target: string; targetPath: string | null; display: string };
  children?: { target: string; foreignKey: string };
  many?: { target: string; targetPath: string | null };
  visibleWhen?: string;
  requiredWhen?: string;
  readonlyWhen?: string;
}

export interface ListViewDef {
  columns: string[];
  filters?: string[];
  defaultSort?: string | string[];
  pageSize?: number;
  search?: string[];
  /** An enum field: the list can also show as a board with a column per value. */
  kanban?: string;
  /** The list can also show as a schedule: a bar per record from `start` to `end`, a row per `lane`. */
  schedule?: { start: string; end?: string; lane?: string; calendar?: string; timeZone?: string };
}

export interface WorkflowDef {
  workflow: string;
  /** The enum field holding the state; default `status`. */
  field?: string;
  /** States by name; `editable` lists the only fields a record in that state may still change. */
  states?: Record<string, { editable?: string[] }>;
}

export interface EntityMeta extends EntitySummary {
  fields: FieldMeta[];
  list: ListViewDef;
  workflow: WorkflowDef | null;
  appendOnly: boolean;
  /** Limits of the files records take; null (or absent from an older server) when they take none. */
  attachments?: { maxSize: number; accept: string[] } | null;
  /** Whether records carry a comment thread. */
  comments?: boolean;
}

export interface ListPage<T> {
  items: T[];
  total: number | null;
  page: number | null;
  pageSize: number;
  nextCursor: string | null;
}

export type EntityRecord = Record<string, unknown> & { id: number; version?: number };
