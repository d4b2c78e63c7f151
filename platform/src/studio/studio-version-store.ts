import type { DataSource } from 'typeorm';
import type { SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import type { ApiDiff, DocumentDiff, SchemaStep } from '../../../metadata/src/studio/diff';
import type { RewrittenReference } from '../../../metadata/src/studio/renames';
import type { FormOverlay, StudioExtensionField, StudioLayer } from '../../../metadata/src/studio/layer';
import type { SqlExecutor } from '../data/database';
import { nowForDb } from '../data/values';

/** The tenant-owned part of the studio at one version: extension fields and form overlays, per tenant. */
export type TenantState = Record<
  string,
  { extensionFields: StudioExtensionField[]; formOverlays: Record<string, FormOverlay> }
>;

/** What one publish (or rollback) changed, as history and the METADATA_CHANGE audit record show it. */
export interface StudioDiff {
  schema: SchemaStep[];
  /**
   * Steps only a destructive publish takes (needs metadata:publish_destructive and confirmation):
   * tables and columns the new Model no longer has are dropped with their data. A publish without
   * confirmation keeps them.
   */
  dropped?: SchemaStep[];
  api: ApiDiff;
  documents: DocumentDiff;
  /**
   * References to renamed fields that the publish rewrote in the layer's documents (workflows, forms,
   * lists, rules, dashboards, roles), each with its value before and after.
   */
  references?: RewrittenReference[];
  extensionFields: { added: string[]; archived: string[] };
  formOverlays: string[];
}

/** One published studio version: the whole layer and tenant state it serves, and how it got there. */
export interface StudioVersion {
  version: number;
  /** Hash of the Model composed at publish. */
  hash: string;
  createdBy: string | null;
  createdAt: string;
  changeSet: { id: number; csNo: string; title: string } | null;
  /** Set on a rollback: the version whose layer this one serves again. */
  rollbackOf?: number;
  layer: StudioLayer;
  tenants: TenantState;
  /** The studio's tables as they are in the database after this version (kept columns included). */
  schema: SchemaSnapshot;
  diff: StudioDiff;
}

interface VersionRow {
  version: number | string;
  hash: string;
  change_set: string | Record<string, unknown> | null;
  created_by: string | null;
  created_at: string | Date;
}

type StoredDocument = Omit<StudioVersion, 'version' | 'hash' | 'createdBy' | 'createdAt'>;

/** Reads and writes `ext_metadata_version`, one row per published studio version. */
export class StudioVersionStore {
  /**
   * The newest version as last read. A version row is written once and never changed, so while it
   * is still the newest only its number is read again; the (frozen) version is shared by its readers.
   */
  private newest: StudioVersion | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** The newest version, or null before the first publish. */
  async current(executor?: SqlExecutor): Promise<StudioVersion | null> {
    const query = async <T>(sql: string, parameters: unknown[] = []) =>
      (executor
        ? await executor.query<T>(sql, parameters)
        : await this.dataSource.query(sql, parameters)) as T[];
    const numbers = await query<{ version: number | string }>(
      'SELECT version FROM ext_metadata_version ORDER BY version DESC LIMIT 1',
    );
    if (numbers.length === 0) return null;
    const number = Number(numbers[0].version);
    if (this.newest?.version === number) return this.newest;
    const rows = await query<VersionRow>(
      'SELECT version, hash, change_set, created_by, created_at FROM ext_metadata_version WHERE version = ?',
      [number],
    );
    if (rows.length === 0) return null;
    const version = deepFreeze(toVersion(rows[0]));
    if (this.newest === null || version.version > this.newest.version) this.newest = version;
    return version;
  }

  async find(version: number): Promise<StudioVersion | null> {
    const rows = (await this.dataSource.query(
      'SELECT version, hash, change_set, created_by, created_at FROM ext_metadata_version WHERE version = ?',
      [version],
    )) as VersionRow[];
    return rows.length > 0 ? toVersion(rows[0]) : null;
  }

  /** Every version, newest first. */
  async list(): Promise<StudioVersion[]> {
    const rows = (await this.dataSource.query(
      'SELECT version, hash, change_set, created_by, created_at FROM ext_metadata_version ORDER BY version DESC',
    )) as VersionRow[];
    return rows.map(toVersion);
  }

  /** The layer the Model is composed with: the newest version's, or nothing before the first publish. */
  async layer(): Promise<StudioLayer> {
    return (await this.current())?.layer ?? { documents: [], grants: {} };
  }

  /** Records a version; the unique version column refuses a second publish on the same base. */
  async insert(tx: SqlExecutor, version: Omit<StudioVersion, 'createdAt'>): Promise<void> {
    const { version: number, hash, createdBy, ...rest } = version;
    const document: StoredDocument = rest;
    await tx.execute(
      'INSERT INTO ext_metadata_version (version, hash, change_set, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
      [number, hash.slice(0, 64), JSON.stringify(document), createdBy, nowForDb()],
    );
  }
}

function toVersion(row: VersionRow): StudioVersion {
  const stored = (
    typeof row.change_set === 'string' ? JSON.parse(row.change_set) : (row.change_set ?? {})
  ) as StoredDocument;
  const createdAt = row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at);
  return {
    ...stored,
    version: Number(row.version),
    hash: row.hash,
    createdBy: row.created_by,
    createdAt,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
