/** Types of the Metadata Studio API (`/api/studio`) the browser app reads; type-only, no runtime code. */
import type { SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import type { ApiDiff, DocumentDiff, SchemaStep } from '../../../metadata/src/studio/diff';
import type { FormOverlay, StudioExtensionField, StudioLayer } from '../../../metadata/src/studio/layer';
import type { RewrittenReference } from '../../../metadata/src/studio/renames';
import type { I18nText, RuleDef, RuleTrigger } from '../../../metadata/src/types';
import type { FormDocument } from '../../../metadata/src/forms/form-document';
import type { DashboardData } from './bi';
import type { EntityRecord } from './crud';

export type { RuleTrigger };

/** A problem of a change set, on the element it concerns. */
export interface StudioError {
  /** `studio/<kind>/<name>` for documents, `content` for the change set's own structure, else a file. */
  document: string;
  /** JSON pointer inside that document (or inside the change set's content). */
  path: string;
  rule: string;
  message: string;
  line?: number;
  col?: number;
}

/** What one publish (or rollback) changed, as history and the METADATA_CHANGE audit record show it. */
export interface StudioDiff {
  schema: SchemaStep[];
  /**
   * Steps only a destructive publish takes (needs metadata:publish_destructive and confirmation):
   * tables and columns the new Model no longer has are dropped with their data. A publish without
   * confirmation keeps them.
   */
  dropped?: SchemaStep[];
  api: ApiDiff;
  documents: DocumentDiff;
  /**
   * References to renamed fields that the publish rewrote in the layer's documents (workflows, forms,
   * lists, rules, dashboards, roles), each with its value before and after.
   */
  references?: RewrittenReference[];
  /**
   * Users' saved list views (of every tenant) whose columns, sort or filters named a renamed field,
   * rewritten to the new names in the publish's transaction.
   */
  savedViews?: number;
  extensionFields: { added: string[]; archived: string[] };
  formOverlays: string[];
}

/** The tenant-owned part of the studio at one version: extension fields and form overlays, per tenant. */
export type TenantState = Record<
  string,
  { extensionFields: StudioExtensionField[]; formOverlays: Record<string, FormOverlay> }
>;

/** One published studio version: the whole layer and tenant state it serves, and how it got there. */
export interface StudioVersion {
  version: number;
  /** Hash of the Model composed at publish. */
  hash: string;
  createdBy: string | null;
  createdAt: string;
  changeSet: { id: number; csNo: string; title: string } | null;
  /** Set on a rollback: the version whose layer this one serves again. */
  rollbackOf?: number;
  layer: StudioLayer;
  tenants: TenantState;
  /** The studio's tables as they are in the database after this version (kept columns included). */
  schema: SchemaSnapshot;
  diff: StudioDiff;
}

/** A version as `GET /api/studio/versions` lists it: how it got there, without the state it serves. */
export type StudioVersionSummary = Omit<StudioVersion, 'schema' | 'layer' | 'tenants'>;

/** What validating a change set found; `diff` is set when it validates. */
export interface StudioCheck {
  valid: boolean;
  errors: StudioError[];
  baseVersion: number;
  currentVersion: number;
  /** The change set was made on an older published version: publishing asks for a rebase first. */
  needsRebase: boolean;
  /** The publish itself alters or drops stored data: it needs confirmDestructive. */
  destructive: boolean;
  /** `diff.dropped` lists what a destructive publish would drop besides. */
  diff?: StudioDiff;
}

/** Entities (fields, form sections), roles and modules of the served Model, for the designers. */
export interface StudioModelSummary {
  entities: {
    name: string;
    path: string;
    label: I18nText;
    module: string;
    origin: string;
    extensible: boolean;
    archived: boolean;
    actions: string[];
    /** `to`: the entity a relation points at. */
    fields: { name: string; type: string; label: I18nText; storage: string; to?: string }[];
    sections: I18nText[];
  }[];
  roles: { name: string; label: I18nText; permissions: string[] }[];
  modules: string[];
  /** The served rules (of every origin; the published studio layer says which are the studio's). */
  rules: RuleDef[];
}

/** `POST /api/studio/form-preview`: the form a draft gives an entity, or why it gives none. */
export interface FormPreview {
  errors: StudioError[];
  form: FormDocument | null;
}

/** `POST /api/studio/dashboard-preview`: a draft's dashboard computed on live data, or why it is not. */
export interface DashboardPreview {
  errors: StudioError[];
  dashboard: DashboardData | null;
}

/** `POST /api/studio/change-sets/:id/publish`: the version published and the change set as it is now. */
export interface PublishResult {
  version: number;
  diff: StudioDiff;
  record: EntityRecord;
}

/** `POST /api/studio/rollback`: the version that serves the old layer again. */
export interface RollbackResult {
  version: number;
  diff: StudioDiff;
}

/** `GET /api/studio/published`: the published studio layer and the conflicts it has with the served Model. */
export interface PublishedLayer {
  version: number;
  layer: StudioLayer;
  conflicts: StudioError[];
}
