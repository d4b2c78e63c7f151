/** Types of the metadata and lookup APIs (`/api/meta/...`, `/api/lookup/...`) the browser app reads; type-only, no runtime code. */
import type {
  DataScope,
  ExtensionPolicy,
  FieldType,
  FormDef,
  I18nText,
  ListViewDef,
  WorkflowDef,
} from '../../../metadata/src/types';

export type { I18nText, ListViewDef, WorkflowDef };

export interface EntitySummary {
  name: string;
  path: string;
  label: I18nText;
  pluralLabel: I18nText;
  module: string;
  display: string;
  businessKey: string | null;
  origin: string;
}

/** `GET /api/meta/entities`: the entities the caller may address, on the Model version they come from. */
export interface EntityList {
  modelVersion: number;
  entities: EntitySummary[];
}

export interface FieldMeta {
  name: string;
  /** camelCase name of the field. */
  apiName: string;
  /** Property carrying the value in records: `itemId` for relations, `tagsIds` for many fields. */
  property: string;
  type: FieldType;
  label: I18nText;
  description?: I18nText;
  help?: I18nText;
  required: boolean;
  unique: boolean;
  readonly: boolean;
  sensitive: boolean;
  hidden: boolean;
  extension: boolean;
  default?: unknown;
  constraints: Record<string, unknown>;
  enumValues?: { value: string; label?: I18nText; color?: string }[];
  relation?: { target: string; targetPath: string | null; display: string };
  children?: { target: string; foreignKey: string; orderBy?: string };
  many?: { target: string; targetPath: string | null };
  visibleWhen?: string;
  requiredWhen?: string;
  readonlyWhen?: string;
}

export interface EntityMeta extends EntitySummary {
  modelVersion: number;
  identifier: { field: string; pattern: string } | null;
  fields: FieldMeta[];
  systemFields: { apiName: string; type: string; nullable: boolean }[];
  list: ListViewDef;
  views: Record<string, ListViewDef>;
  form: FormDef | null;
  workflow: WorkflowDef | null;
  actions: string[];
  extension: ExtensionPolicy;
  appendOnly: boolean;
  softDelete: boolean;
  /** Limits of the files records take (`/api/<path>/:id/attachments`); null when they take none. */
  attachments: { maxSize: number; accept: string[] } | null;
  /** Whether records carry a comment thread (`/api/<path>/:id/comments`). */
  comments: boolean;
}

/** What one role grants on one entity: the actions with the data scope of each, and the fields it hides or makes read-only. */
export interface RoleEntityAccess {
  entity: string;
  label: I18nText;
  actions: { action: string; scopes: DataScope[] }[];
  hidden: string[];
  readonly: string[];
}

/** `GET /api/meta/roles/:role/access`: a role as the permission matrix applies it. */
export interface RoleAccess {
  role: string;
  label: I18nText;
  description: I18nText | null;
  inherits: string[];
  entities: RoleEntityAccess[];
  /** Granted codes that are not about one entity (`bi:dashboard`, `trace:query`). */
  other: string[];
}

/** A choice of the lookup projection (`GET /api/lookup/:entity/:field`). */
export interface LookupChoice {
  id: number;
  /** The relation's display value. */
  label: string;
  /** The target's business key, when it has one the caller may see. */
  key: string | null;
}
