import type { LoadedDocument } from '../loader';
import type {
  DashboardDef,
  DocumentKind,
  EntityDef,
  FormDef,
  MenuDef,
  MetadataSet,
  ModuleDef,
  PermissionDef,
  PluginManifest,
  RoleDef,
  RuleDef,
  WorkflowDef,
} from '../types';

/** The definition type of each document kind. */
export interface KindDefinitions {
  module: ModuleDef;
  entity: EntityDef;
  form: FormDef;
  workflow: WorkflowDef;
  dashboard: DashboardDef;
  rule: RuleDef;
  role: RoleDef;
  permission: PermissionDef;
  menu: MenuDef;
  plugin: PluginManifest;
}

export function emptyMetadataSet(): MetadataSet {
  return {
    modules: new Map(),
    entities: new Map(),
    forms: new Map(),
    workflows: new Map(),
    dashboards: new Map(),
    rules: new Map(),
    roles: new Map(),
    permissions: new Map(),
    menus: new Map(),
    plugins: new Map(),
    sources: new Map(),
  };
}

/** The map of a set holding documents of a kind. */
export function collectionOf<K extends DocumentKind>(
  set: MetadataSet,
  kind: K,
): Map<string, KindDefinitions[K]> {
  const collections: { [Kind in DocumentKind]: Map<string, KindDefinitions[Kind]> } = {
    module: set.modules,
    entity: set.entities,
    form: set.forms,
    workflow: set.workflows,
    dashboard: set.dashboards,
    rule: set.rules,
    role: set.roles,
    permission: set.permissions,
    menu: set.menus,
    plugin: set.plugins,
  };
  return collections[kind];
}

/**
 * Groups documents that passed their meta-schema into a MetadataSet. Documents arrive core first, then
 * plugins; when a name is declared twice the first declaration wins (the validator reports the clash).
 */
export function resolveMetadata(documents: readonly LoadedDocument[]): MetadataSet {
  const set = emptyMetadataSet();
  for (const document of documents) {
    const collection = collectionOf(set, document.kind) as Map<string, unknown>;
    if (collection.has(document.name)) continue;
    collection.set(document.name, document.data);
    set.sources.set(`${document.kind}:${document.name}`, { file: document.file, origin: document.origin });
  }
  return set;
}
