export { applySchemaChanges } from './apply-schema';
export { migrationFilesGlob, migrationStatus, revertLastMigration, runMigrations } from './migration-runner';
export type { MigrationState } from './migration-runner';
