import type { Diagnostic } from '../diagnostic';
import { discoverAll } from './discover';
import type { LoadedDocument } from './document';
import { loadFile } from './load-file';

export { DOCUMENT_KINDS, isDocumentKind, type LoadedDocument } from './document';
export { discoverAll, discoverSources, originOf, type MetadataSource } from './discover';
export { appendPointer, pointer } from './json-pointer';
export { loadFile, loadText } from './load-file';
export { PositionMap, type SourcePosition } from './position-map';

export interface LoadResult {
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
}

/** Loads every metadata file under the given paths; unreadable files become diagnostics. */
export function loadMetadata(paths: readonly string[]): LoadResult {
  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of discoverAll(paths)) {
    const result = loadFile(source.file, source.origin);
    if (result.document) documents.push(result.document);
    diagnostics.push(...result.diagnostics);
  }
  return { documents, diagnostics };
}
