export { resolveMetadata, collectionOf, emptyMetadataSet, type KindDefinitions } from './resolve';
export { schemaDiagnostics } from './schema-diagnostics';
export { KIND_SCHEMAS, SHARED_SCHEMAS } from './schemas';
export { validateDocuments, validateMetadata, type ValidationResult } from './validate';
export { loadMetadataSet, MetadataValidationError } from './load-set';
