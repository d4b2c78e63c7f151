import { countErrors, type Diagnostic } from '../diagnostic';
import type { MetadataSet } from '../types';
import { validateMetadata } from './validate';

/** Thrown when metadata that must be valid (server start, code generation) is not. */
export class MetadataValidationError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    const first = diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    const where = first ? `; first: ${first.file}:${first.line}:${first.col} ${first.message}` : '';
    super(`metadata has ${countErrors(diagnostics)} error(s)${where} (run \`mes validate\` for all)`);
    this.name = 'MetadataValidationError';
  }
}

/** The validated MetadataSet for downstream use (the Model compiler); throws when anything is wrong. */
export function loadMetadataSet(roots: readonly string[]): MetadataSet {
  const { set, diagnostics } = validateMetadata(roots);
  if (countErrors(diagnostics) > 0) throw new MetadataValidationError(diagnostics);
  return set;
}
