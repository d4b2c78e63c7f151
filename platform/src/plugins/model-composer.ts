import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Diagnostic } from '../../../metadata/src/diagnostic';
import {
  discoverAll,
  loadFile,
  loadMetadata,
  type LoadedDocument,
  type LoadResult,
} from '../../../metadata/src/loader';
import { compileModel, type ExtensionFieldInput, type Model } from '../../../metadata/src/model';
import {
  applyGrants,
  LoadedLayerCache,
  loadLayer,
  type StudioLayer,
} from '../../../metadata/src/studio/layer';
import type { PluginManifest } from '../../../metadata/src/types';
import { resolveMetadata, validateDocuments, type ValidationResult } from '../../../metadata/src/validator';

/** Metadata that does not validate; nothing was swapped in. */
export class MetadataRejectedError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      `Metadata has ${diagnostics.length} error(s):\n` +
        diagnostics
          .slice(0, 20)
          .map((d) => `  ${d.file}:${d.line}:${d.col} ${d.rule}: ${d.message}`)
          .join('\n'),
    );
    this.name = 'MetadataRejectedError';
  }
}

export interface ModelSources {
  /** Core metadata roots; bundled plugins found under them are only available, not served. */
  roots: readonly string[];
  /** Folders of the plugins to serve (enabled), by name. */
  plugins: ReadonlyMap<string, string>;
  extensionFields?: ExtensionFieldInput[];
  /** Metadata published from the Metadata Studio, composed after core and the plugins. */
  studio?: StudioLayer;
  /**
   * Hash of the Model the publishing instance validated these sources into (the studio version's).
   * When the documents compile to a Model of that very hash, it is served without validating them
   * again; otherwise (another core or plugin version, other extension fields) they are validated.
   */
  validatedHash?: string;
}

/**
 * Builds Models from core metadata, the enabled plugins, extension fields and the studio layer. One
 * composer per instance keeps what the last compositions parsed and validated, so a composition that
 * changes a few documents (a studio publish, a change seen from another instance, an extension
 * field) parses only those and validates again only when a document changed; the caches hold the
 * documents of the last compositions only, so the Models of older versions are released.
 */
export class ModelComposer {
  /**
   * Parsed metadata files by path. Files that did not change are not parsed again and keep their
   * document objects, which lets `validated` see that nothing changed.
   */
  private readonly parsedFiles = new Map<string, ParsedFile>();
  /** Studio documents as loaded, by name and content. */
  readonly layers = new LoadedLayerCache();
  /** The last studio composition: reused while the same files and the same layer come in. */
  private lastStudio: {
    files: readonly LoadedDocument[];
    source: StudioLayer;
    layer: string;
    result: { documents: LoadedDocument[]; diagnostics: Diagnostic[] };
  } | null = null;
  /** The last validation: reused while the very same documents (and load diagnostics) come in. */
  private lastValidation: {
    documents: readonly LoadedDocument[];
    diagnostics: readonly Diagnostic[];
    result: ValidationResult;
  } | null = null;
  /** How many compositions served a Model another instance validated, without validating it here. */
  trustedCount = 0;
  /** The last compiled Model, with the validation and extension fields it was compiled from. */
  private lastModel: { validation: ValidationResult; extensions: string; model: Model } | null = null;

  /**
   * Builds a Model from core metadata plus exactly the given plugins, each read from the folder given
   * for it: documents of any other plugin found under the roots are left out, so a plugin's entities,
   * forms, menus and roles exist only while it is enabled; and so is another copy of a served plugin
   * (the catalog's, while the plugin runs from an uploaded package or another folder).
   */
  compose(sources: ModelSources, version: number): Model {
    const { documents, diagnostics } = this.loadParsed([...sources.roots, ...sources.plugins.values()]);
    const folders = new Map([...sources.plugins].map(([name, dir]) => [name, resolve(dir) + sep]));
    const served = (document: LoadedDocument) => {
      if (document.origin === 'core') return true;
      const folder = folders.get(document.origin);
      return folder !== undefined && resolve(document.file).startsWith(folder);
    };
    const layered = this.withStudio(documents.filter(served), sources.studio);
    const kept = layered.documents;
    if (
      sources.validatedHash &&
      ![...diagnostics, ...layered.diagnostics].some((d) => d.severity === 'error')
    ) {
      const trusted = this.trusted(kept, sources.extensionFields ?? [], version, sources.validatedHash);
      if (trusted) return trusted;
    }
    const result = this.validated(kept, [
      ...diagnostics.filter((d) => !documents.some((doc) => doc.file === d.file && !served(doc))),
      ...layered.diagnostics,
    ]);
    const servedEntities = new Set(kept.filter((d) => d.kind === 'entity').map((d) => d.name));
    const dormant = new Set(
      documents
        .filter((d) => d.kind === 'entity' && !served(d) && d.name && !servedEntities.has(d.name))
        .map((d) => d.name as string),
    );
    const errors = result.diagnostics.filter((d) => d.severity === 'error' && !isDormantGrant(d, dormant));
    if (errors.length > 0) throw new MetadataRejectedError(errors);
    return this.compiled(result, sources.extensionFields ?? [], version);
  }

  /**
   * The Model of documents another instance validated: resolved and compiled without the schema and
   * semantic checks, served only when it is the Model that instance validated (same hash); null
   * otherwise, and the documents are validated as usual.
   */
  private trusted(
    documents: readonly LoadedDocument[],
    extensionFields: ExtensionFieldInput[],
    version: number,
    hash: string,
  ): Model | null {
    const last = this.lastValidation;
    // Documents validated here already (this instance published them) take the usual path.
    if (last && sameItems(last.documents, documents)) return null;
    let model: Model;
    const result: ValidationResult = {
      set: resolveMetadata(documents),
      documents: [...documents],
      diagnostics: [],
    };
    try {
      model = compileModel(result.set, { version, extensionFields });
    } catch {
      return null;
    }
    if (model.hash !== hash) return null;
    this.trustedCount += 1;
    this.lastValidation = { documents, diagnostics: [], result };
    this.lastModel = { validation: result, extensions: JSON.stringify(extensionFields), model };
    return model;
  }

  /**
   * Compiles the validated set, or, when the set and the extension fields are those of the last
   * compilation (a publish swapping in the Model its validation composed, an extension field change
   * seen from another instance that is already served), gives the last Model the new version.
   */
  private compiled(result: ValidationResult, extensionFields: ExtensionFieldInput[], version: number): Model {
    const extensions = JSON.stringify(extensionFields);
    const last = this.lastModel;
    if (last && last.validation === result && last.extensions === extensions)
      return Object.freeze({ ...last.model, version });
    const model = compileModel(result.set, { version, extensionFields });
    this.lastModel = { validation: result, extensions, model };
    return model;
  }

  private loadParsed(paths: readonly string[]): LoadResult {
    const documents: LoadedDocument[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const { file, origin } of discoverAll(paths)) {
      const stamp = fileStamp(file);
      const cached = this.parsedFiles.get(file);
      let result: ParsedFile['result'];
      if (stamp !== null && cached?.origin === origin && cached.stamp === stamp) result = cached.result;
      else {
        result = loadFile(file, origin);
        if (stamp === null) this.parsedFiles.delete(file);
        else this.parsedFiles.set(file, { origin, stamp, result });
      }
      if (result.document) documents.push(result.document);
      diagnostics.push(...result.diagnostics);
    }
    return { documents, diagnostics };
  }

  /**
   * The served files followed by the studio layer's documents, with the layer's grants added to the
   * roles they name. The result is reused (same objects) for the same files and layer, so validation
   * is not repeated when only extension fields or the version changed.
   */
  private withStudio(
    files: LoadedDocument[],
    studio: StudioLayer | undefined,
  ): { documents: LoadedDocument[]; diagnostics: Diagnostic[] } {
    if (!studio || (studio.documents.length === 0 && Object.keys(studio.grants).length === 0))
      return { documents: files, diagnostics: [] };
    const last = this.lastStudio;
    // The published layer comes as the same frozen object while its version is the newest.
    if (last?.source === studio && Object.isFrozen(studio) && sameItems(last.files, files))
      return last.result;
    const layer = JSON.stringify(studio);
    if (last && last.layer === layer && sameItems(last.files, files)) {
      this.lastStudio = { ...last, source: studio };
      return last.result;
    }
    const loaded = loadLayer(studio, this.layers);
    const granted = applyGrants([...files, ...loaded.documents], studio.grants);
    const result = {
      documents: granted.documents,
      diagnostics: [...loaded.diagnostics, ...granted.diagnostics],
    };
    this.lastStudio = { files, source: studio, layer, result };
    return result;
  }

  /**
   * Validates the documents, or returns the previous result when they are the same parsed objects as
   * last time: an extension field change or a change on another instance recomposes with unchanged
   * files, and only the compilation (extension fields, version) has to run again.
   */
  private validated(
    documents: readonly LoadedDocument[],
    diagnostics: readonly Diagnostic[],
  ): ValidationResult {
    const last = this.lastValidation;
    if (last && sameItems(last.documents, documents) && sameItems(last.diagnostics, diagnostics))
      return last.result;
    const result = validateDocuments(documents, diagnostics);
    this.lastValidation = { documents, diagnostics, result };
    return result;
  }
}

interface ParsedFile {
  origin: string;
  /** mtime, ctime, size and inode: a file is parsed again when any of them changed. */
  stamp: string;
  result: ReturnType<typeof loadFile>;
}

function fileStamp(file: string): string | null {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return null;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/**
 * A core role may grant permissions on an entity of a plugin (a warehouse clerk receives goods when
 * procurement is on). While that plugin is not enabled the grant is dormant, not an error.
 */
function isDormantGrant(diagnostic: Diagnostic, dormantEntities: ReadonlySet<string>): boolean {
  if (diagnostic.rule !== 'role-permission') return false;
  const area = /permission `([a-z0-9_]+):/.exec(diagnostic.message)?.[1];
  return area !== undefined && dormantEntities.has(area);
}

/** Reads and validates one plugin folder on its own: its manifest, and its documents' diagnostics. */
export function readPluginFolder(dir: string): { manifest: PluginManifest; documents: LoadedDocument[] } {
  const { documents, diagnostics } = loadMetadata([dir]);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new MetadataRejectedError(errors);
  const manifests = documents.filter((d) => d.kind === 'plugin');
  if (manifests.length !== 1)
    throw new MetadataRejectedError([
      {
        file: dir,
        line: 1,
        col: 1,
        path: '',
        severity: 'error',
        rule: 'plugin-manifest',
        message: `expected exactly one plugin.yaml in ${dir}, found ${manifests.length}`,
      },
    ]);
  return { manifest: manifests[0].data as unknown as PluginManifest, documents };
}
