import { sortDiagnostics, type Diagnostic } from '../diagnostic';
import { loadMetadata, type LoadedDocument } from '../loader';
import type { DocumentKind, MetadataSet } from '../types';
import { resolveMetadata } from './resolve';
import { schemaDiagnostics } from './schema-diagnostics';
import { runSemanticChecks, SemanticContext } from './semantic';

export interface ValidationResult {
  /** The documents that passed their meta-schema, grouped; usable even when diagnostics hold errors. */
  set: MetadataSet;
  documents: LoadedDocument[];
  /** Every problem found, sorted by file and position. */
  diagnostics: Diagnostic[];
}

/**
 * Validates loaded documents: each against its meta-schema, then the ones that passed against each
 * other (references, uniqueness, workflows, expressions…).
 */
export function validateDocuments(
  documents: readonly LoadedDocument[],
  loadDiagnostics: readonly Diagnostic[] = [],
): ValidationResult {
  const diagnostics = [...loadDiagnostics];
  const valid: LoadedDocument[] = [];
  const declared = new Map<DocumentKind, Set<string>>();
  for (const document of documents) {
    const found = schemaDiagnostics(document);
    diagnostics.push(...found);
    if (found.length === 0) valid.push(document);
    if (document.name)
      declared.set(document.kind, (declared.get(document.kind) ?? new Set()).add(document.name));
  }
  const set = resolveMetadata(valid);
  const ctx = new SemanticContext(set, valid, declared);
  runSemanticChecks(ctx);
  diagnostics.push(...ctx.diagnostics);
  return { set, documents: valid, diagnostics: sortDiagnostics(diagnostics) };
}

/** Loads and validates every metadata file under the given roots (files or folders). */
export function validateMetadata(roots: readonly string[]): ValidationResult {
  const { documents, diagnostics } = loadMetadata(roots);
  return validateDocuments(documents, diagnostics);
}
