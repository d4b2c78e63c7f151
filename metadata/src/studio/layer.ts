/**
 * The Metadata Studio layer: metadata documents analysts publish at runtime, held as JSON (the YAML
 * language's data) and composed into the Model after core and the enabled plugins. Pure: the
 * platform stores layers, this module composes them.
 */
import type { Diagnostic } from '../diagnostic';
import { isDocumentKind, loadText, pointer, type LoadedDocument } from '../loader';
import type { FileLoadResult } from '../loader/load-file';
import type { DocumentKind, FieldDef, I18nText } from '../types';

/** Origin of studio documents (as `core` or a plugin name for files). */
export const STUDIO_ORIGIN = 'studio';

/** A metadata document as JSON: its first key names its kind (`{ entity: 'x', fields: … }`). */
export type StudioDocument = Record<string, unknown>;

/** Deployment-wide part of the studio: documents, and permissions granted to existing roles. */
export interface StudioLayer {
  documents: StudioDocument[];
  /** Role name → permission codes added to that role (core, plugin or studio roles). */
  grants: Record<string, string[]>;
}

/** A field added to a core or plugin entity, stored as an extension field of the tenant. */
export interface StudioExtensionField {
  entity: string;
  name: string;
  definition: FieldDef;
}

/** Per-tenant changes of the form of a core or plugin entity, layered on its form schema. */
export interface FormOverlay {
  /** Field → label/help overrides, and the section (0-based) an extension field is placed in. */
  fields?: Record<string, { label?: I18nText; help?: I18nText; section?: number }>;
  /** Field order inside sections: fields named here come first, in this order. */
  order?: string[];
}

export interface StudioFormOverlay {
  entity: string;
  overlay: FormOverlay;
}

/** What one change set holds: deployment-wide documents and grants, and the tenant's own changes. */
export interface ChangeSetContent extends StudioLayer {
  extensionFields: StudioExtensionField[];
  formOverlays: StudioFormOverlay[];
}

export function emptyLayer(): StudioLayer {
  return { documents: [], grants: {} };
}

export function emptyContent(): ChangeSetContent {
  return { ...emptyLayer(), extensionFields: [], formOverlays: [] };
}

/** Kind and name of a document (`{ entity: 'x' }` → entity x); null when its first key is no kind. */
export function documentKey(document: StudioDocument): { kind: DocumentKind; name: string } | null {
  const kind = Object.keys(document)[0];
  if (!kind || !isDocumentKind(kind)) return null;
  const name = document[kind];
  return { kind, name: typeof name === 'string' ? name : '' };
}

/** Where a studio document is named in diagnostics and history: `studio/entity/engineering_problem`. */
export function studioFileOf(kind: string, name: string): string {
  return `${STUDIO_ORIGIN}/${kind}/${name}`;
}

/**
 * The layer after publishing a change set on top of `base`: its documents replace those of the same
 * kind and name (or are added), its grants are added to the roles'.
 */
export function mergeLayer(base: StudioLayer, change: StudioLayer): StudioLayer {
  const documents = new Map<string, StudioDocument>();
  const keyOf = (document: StudioDocument) => {
    const key = documentKey(document);
    return key ? `${key.kind}:${key.name}` : JSON.stringify(document);
  };
  for (const document of base.documents) documents.set(keyOf(document), document);
  for (const document of change.documents) documents.set(keyOf(document), document);
  const grants: Record<string, string[]> = {};
  for (const source of [base.grants, change.grants])
    for (const [role, codes] of Object.entries(source))
      grants[role] = [...new Set([...(grants[role] ?? []), ...codes])];
  return { documents: [...documents.values()], grants };
}

/**
 * The layer's documents as the loader would read them from files, each named `studio/<kind>/<name>`
 * so diagnostics point at the document and the element path inside it.
 */
export function loadLayer(
  layer: StudioLayer,
  cache?: LoadedLayerCache,
): { documents: LoadedDocument[]; diagnostics: Diagnostic[] } {
  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const used = new Map<string, FileLoadResult>();
  layer.documents.forEach((document, index) => {
    const key = documentKey(document);
    const file = key ? studioFileOf(key.kind, key.name) : `${STUDIO_ORIGIN}/documents/${index}`;
    const text = JSON.stringify(document, null, 2);
    const id = `${file}\n${text}`;
    const result = used.get(id) ?? cache?.get(id) ?? loadText(file, STUDIO_ORIGIN, text);
    used.set(id, result);
    if (result.document) documents.push(result.document);
    diagnostics.push(...result.diagnostics);
  });
  cache?.keep(used);
  return { documents, diagnostics };
}

/**
 * Studio documents as loaded (parsed with positions) by their name and JSON text, so a layer that
 * differs from the last one in a few documents parses only those, and every other document keeps its
 * object (which lets validation results be reused). Holds the documents of the last few layers
 * loaded, so the documents of older versions are released.
 */
export class LoadedLayerCache {
  private generations: Map<string, FileLoadResult>[] = [];

  constructor(private readonly size = 3) {}

  get(id: string): FileLoadResult | undefined {
    for (const generation of this.generations) {
      const found = generation.get(id);
      if (found) return found;
    }
    return undefined;
  }

  /** Records the documents one load used; the oldest load's are forgotten. */
  keep(used: Map<string, FileLoadResult>): void {
    this.generations = [used, ...this.generations].slice(0, this.size);
  }

  /** How many distinct loaded documents are held (for tests of the release of old versions). */
  get held(): number {
    return new Set(this.generations.flatMap((g) => [...g.keys()])).size;
  }
}

/**
 * Adds the layer's grants to the role documents they name: each granted role's document is replaced
 * by a copy holding the added codes (positions kept, so diagnostics still point into its file). A
 * grant to a role nobody declares is a diagnostic.
 */
export function applyGrants(
  documents: readonly LoadedDocument[],
  grants: Readonly<Record<string, readonly string[]>>,
): { documents: LoadedDocument[]; diagnostics: Diagnostic[] } {
  const pending = new Map(Object.entries(grants).filter(([, codes]) => codes.length > 0));
  const result = documents.map((document) => {
    const codes = document.kind === 'role' ? pending.get(document.name) : undefined;
    if (!codes) return document;
    pending.delete(document.name);
    const permissions = Array.isArray(document.data.permissions)
      ? (document.data.permissions as unknown[])
      : [];
    return { ...document, data: { ...document.data, permissions: [...new Set([...permissions, ...codes])] } };
  });
  const diagnostics: Diagnostic[] = [...pending.keys()].map((role) => ({
    file: `${STUDIO_ORIGIN}/grants`,
    line: 1,
    col: 1,
    path: pointer(role),
    rule: 'unknown-role',
    message: `permissions are granted to role \`${role}\`, which does not exist`,
    severity: 'error',
  }));
  return { documents: result, diagnostics };
}
