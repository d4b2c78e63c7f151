import { appendAudit } from '../audit/audit-writer';
import type { SqlExecutor } from '../data/database';

/** Who changes plugins or extension fields, and from where. */
export interface MetadataActor {
  /** The tenant whose audit chain records the change. */
  tenantId: string;
  /** User id (`mes-cli` for the command line). */
  id: string;
  name: string | null;
  ip: string | null;
  userAgent: string | null;
  traceId: string | null;
}

/** One change of a plugin or an extension field, as its audit record describes it. */
export interface MetadataChange {
  entity: 'plugin' | 'extension_field' | 'change_set' | 'metadata_version';
  /** The plugin name, `<entity>.<field>`, the change set number or the studio version. */
  recordId: string;
  /** install, upgrade, enable, disable, uninstall; add, rename, promote, archive; publish, rollback. */
  operation: string;
  /** What changed: names, versions, definitions. */
  detail: Record<string, unknown>;
}

/** The detail key naming what changed. */
const DETAIL_KEY: Record<MetadataChange['entity'], string> = {
  plugin: 'plugin',
  extension_field: 'field',
  change_set: 'changeSet',
  metadata_version: 'version',
};

/** Widths of the audit columns these values go to (the full values stay in the detail). */
const RECORD_ID_LENGTH = 64;
const USER_AGENT_LENGTH = 512;

/** Appends the METADATA_CHANGE audit record of a change, inside the transaction that makes it. */
export async function auditMetadataChange(
  tx: SqlExecutor,
  actor: MetadataActor,
  change: MetadataChange,
): Promise<void> {
  await appendAudit(tx, {
    tenantId: actor.tenantId,
    actorId: actor.id,
    actorName: actor.name,
    entity: change.entity,
    recordId: change.recordId.slice(0, RECORD_ID_LENGTH),
    action: 'METADATA_CHANGE',
    transition: change.operation,
    detail: { [DETAIL_KEY[change.entity]]: change.recordId, ...change.detail },
    ip: actor.ip,
    userAgent: actor.userAgent?.slice(0, USER_AGENT_LENGTH) ?? null,
    traceId: actor.traceId,
  });
}
