/**
 * The platform's declared entry for tools (the `mes` CLI): everything outside the server that drives
 * it — starting it, migrations, workers, plugins, keys, audit — imports from here, never from the
 * platform's rooms directly.
 */
export { createDataSource, describeDatabase, loadDatabaseConfig } from './data/connection';
export { EngineDatabase } from './data/database';
export { BullMqPublisher, EventWorker } from './events/bullmq-transport';
export { OutboxRelay } from './events/outbox-relay';
export { InProcessPublisher } from './events/publisher';
export type { EventPublisher } from './events/publisher';
export { WebhookTargetPolicy } from './events/webhook-targets';
export { webhookConsumer } from './events/webhooks';
export { generateKey, loadKeyRing } from './security/crypto/key-ring';
export { rotateSensitiveColumns } from './security/crypto/rotate-keys';
export { setPasswordByUsername } from './security/auth/password-service';
export { loadAppConfig } from './config/app-config';
export { sealAuditChains } from './audit/audit-sealer';
export { verifyAuditChain } from './audit/audit-verify';
export { backup, restore, type BackupManifest, type RestoreReport } from './ops/backup';
export { MetadataSync } from './kernel/metadata-sync';
export { ModelRegistry } from './kernel/model-registry';
export { engineVersion, pluginCatalog } from './plugins/engine-version';
export { PluginManager } from './plugins/plugin-manager';
export type { PluginInfo } from './plugins/plugin-manager';
export { buildPluginPackage } from './plugins/plugin-package';
export { pluginSettings } from './plugins/plugin-settings';
export type { MetadataActor } from './plugins/metadata-change';
export { readSigningKey, SIGNATURE_HEADER, SIGNATURE_SUFFIX } from './plugins/plugin-signature';
export {
  migrationFilesGlob,
  migrationStatus,
  revertLastMigration,
  runMigrations,
} from './data/migrations/migration-runner';
export type { FilterOperator } from './crud/types';
export { buildOpenApiDocument } from './openapi/openapi-document';
export {
  startServer,
  startWorker,
  type DemoPlant,
  type RunningServer,
  type RunningWorker,
  type StartOptions,
} from './bootstrap/start-server';
export type { BackgroundTask, BackgroundTaskContext } from './bootstrap/background-tasks';
export { ENGINE_BACKGROUND_TASKS } from './bootstrap/engine-background-tasks';
export { StudioVersionStore } from './studio/studio-version-store';
export { rebuildRollups } from './bi/rollup-consumer';
