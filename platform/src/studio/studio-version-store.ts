import type { DataSource } from 'typeorm';
import type { SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import { documentKey, type StudioDocument, type StudioLayer } from '../../../metadata/src/studio/layer';
import type { StudioDiff, StudioVersion, TenantState } from '../contracts/studio';
import type { SqlExecutor } from '../data/database';
import { nowForDb } from '../data/values';

export type { StudioDiff, StudioVersion, TenantState };

interface VersionRow {
  version: number | string;
  hash: string;
  change_set: string | Record<string, unknown> | null;
  created_by: string | null;
  created_at: string | Date;
}

/** The state a version serves: what a row stores in full, or as a delta from the version before. */
type VersionState = Pick<StudioVersion, 'layer' | 'tenants' | 'schema'>;

/** Changes of a record keyed by name: entries added or replaced, and names removed. */
interface RecordDelta<T> {
  put?: Record<string, T>;
  remove?: string[];
}

/** What a version changed in the state of the version before it (`from`). */
export interface VersionDelta {
  from: number;
  documents?: RecordDelta<StudioDocument>;
  grants?: RecordDelta<string[]>;
  tenants?: RecordDelta<TenantState[string]>;
  tables?: RecordDelta<SchemaSnapshot['tables'][string]>;
  format?: number;
  modelHash?: string;
}

/** Version metadata and either the full state or the delta from the version before. */
type StoredDocument = Omit<
  StudioVersion,
  'version' | 'hash' | 'createdBy' | 'createdAt' | keyof VersionState
> &
  (VersionState | { delta: VersionDelta });

/**
 * Every how many versions a row holds the full state: the others hold only what changed since the
 * version before, so a version is read from at most this many rows.
 */
export const FULL_SNAPSHOT_EVERY = 10;

const COLUMNS = 'version, hash, change_set, created_by, created_at';

/**
 * Reads and writes `ext_metadata_version`, one row per published studio version. A row holds what the
 * version changed (documents, grants, tenants' state and tables added, replaced or removed) on top of
 * the version before; every FULL_SNAPSHOT_EVERY-th version (1, 11, 21, …) holds the whole state, so
 * reading any version replays at most that many rows.
 */
export class StudioVersionStore {
  /**
   * The newest version as last read. A version row is written once and never changed, so while it
   * is still the newest only its number is read again; the (frozen) version is shared by its readers.
   */
  private newest: StudioVersion | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly fullSnapshotEvery = FULL_SNAPSHOT_EVERY,
  ) {}

  /** The newest version, or null before the first publish. */
  async current(executor?: SqlExecutor): Promise<StudioVersion | null> {
    const query = this.reader(executor);
    const numbers = await query<{ version: number | string }>(
      'SELECT version FROM ext_metadata_version ORDER BY version DESC LIMIT 1',
    );
    if (numbers.length === 0) return null;
    const number = Number(numbers[0].version);
    if (this.newest?.version === number) return this.newest;
    // The version after the one held reads one row; any other replays from its full snapshot.
    const known = this.newest && this.newest.version < number ? this.newest : null;
    const found = await this.read(query, number, known);
    if (!found) return null;
    const version = deepFreeze(found);
    if (this.newest === null || version.version > this.newest.version) this.newest = version;
    return version;
  }

  async find(version: number): Promise<StudioVersion | null> {
    return this.read(this.reader(), version, null);
  }

  /** Every version, newest first. */
  async list(): Promise<StudioVersion[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ext_metadata_version ORDER BY version ASC`,
    )) as VersionRow[];
    const versions: StudioVersion[] = [];
    let previous: StudioVersion | null = null;
    for (const row of rows) {
      previous = toVersion(row, previous);
      versions.push(previous);
    }
    return versions.reverse();
  }

  /** The layer the Model is composed with: the newest version's, or nothing before the first publish. */
  async layer(): Promise<StudioLayer> {
    return (await this.current())?.layer ?? { documents: [], grants: {} };
  }

  /**
   * Records a version on top of `previous` (the newest version when it was planned); the unique
   * version column refuses a second publish on the same base. Stores the delta from `previous`, or
   * the full state for a snapshot version, the first one, or a delta that would not reproduce it.
   */
  async insert(
    tx: SqlExecutor,
    version: Omit<StudioVersion, 'createdAt'>,
    previous: StudioVersion | null,
  ): Promise<void> {
    const { version: number, hash, createdBy, layer, tenants, schema, ...rest } = version;
    const state: VersionState = { layer, tenants, schema };
    const full = (number - 1) % this.fullSnapshotEvery === 0 || previous?.version !== number - 1;
    const delta = full || !previous ? null : deltaOf(previous, state);
    const document: StoredDocument = delta ? { ...rest, delta } : { ...rest, ...state };
    await tx.execute(`INSERT INTO ext_metadata_version (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`, [
      number,
      hash.slice(0, 64),
      JSON.stringify(document),
      createdBy,
      nowForDb(),
    ]);
  }

  private reader(executor?: SqlExecutor) {
    return async <T>(sql: string, parameters: unknown[] = []) =>
      (executor
        ? await executor.query<T>(sql, parameters)
        : await this.dataSource.query(sql, parameters)) as T[];
  }

  /**
   * One version: its row applied to `known` when that is the version before, else replayed from the
   * newest row holding the full state at or before it.
   */
  private async read(
    query: ReturnType<StudioVersionStore['reader']>,
    number: number,
    known: StudioVersion | null,
  ): Promise<StudioVersion | null> {
    if (known?.version === number - 1) {
      const [row] = await query<VersionRow>(`SELECT ${COLUMNS} FROM ext_metadata_version WHERE version = ?`, [
        number,
      ]);
      return row ? toVersion(row, known) : null;
    }
    // Rows written before deltas were stored are all full: replaying from any of them is right.
    const from = number - ((number - 1) % this.fullSnapshotEvery);
    const rows = await query<VersionRow>(
      `SELECT ${COLUMNS} FROM ext_metadata_version WHERE version >= ? AND version <= ? ORDER BY version ASC`,
      [Math.max(1, from), number],
    );
    // Versions stored with another snapshot interval: replay from the newest full row before.
    const replay =
      rows.length > 0 && 'delta' in parse(rows[0])
        ? await query<VersionRow>(
            `SELECT ${COLUMNS} FROM ext_metadata_version WHERE version <= ? ORDER BY version ASC`,
            [number],
          )
        : rows;
    let version: StudioVersion | null = null;
    for (const row of replay) version = toVersion(row, version);
    return version?.version === number ? version : null;
  }
}

function parse(row: VersionRow): StoredDocument {
  return (
    typeof row.change_set === 'string' ? JSON.parse(row.change_set) : (row.change_set ?? {})
  ) as StoredDocument;
}

/** A row as a version: its full state, or its delta applied to the version before. */
function toVersion(row: VersionRow, previous: StudioVersion | null): StudioVersion {
  const stored = parse(row);
  const createdAt = row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at);
  const head = { version: Number(row.version), hash: row.hash, createdBy: row.created_by, createdAt };
  if (!('delta' in stored)) return { ...stored, ...head };
  const { delta, ...rest } = stored;
  if (!previous || previous.version !== delta.from)
    throw new Error(
      `studio version ${head.version} is stored as changes to version ${delta.from}, which could not be read`,
    );
  return { ...rest, ...applyDelta(previous, delta), ...head };
}

function documentKeyOf(document: StudioDocument): string {
  const key = documentKey(document);
  return key ? `${key.kind}:${key.name}` : JSON.stringify(document);
}

function byKey(documents: readonly StudioDocument[]): Record<string, StudioDocument> {
  return Object.fromEntries(documents.map((document) => [documentKeyOf(document), document]));
}

function diffRecord<T>(before: Record<string, T>, after: Record<string, T>): RecordDelta<T> | undefined {
  const put: Record<string, T> = {};
  for (const [name, value] of Object.entries(after))
    if (!Object.hasOwn(before, name) || JSON.stringify(before[name]) !== JSON.stringify(value))
      put[name] = value;
  const remove = Object.keys(before).filter((name) => !Object.hasOwn(after, name));
  if (Object.keys(put).length === 0 && remove.length === 0) return undefined;
  return { ...(Object.keys(put).length > 0 ? { put } : {}), ...(remove.length > 0 ? { remove } : {}) };
}

/** Entries kept in place (replaced where put), then the new ones in the order put. */
function applyRecord<T>(before: Record<string, T>, delta: RecordDelta<T> | undefined): Record<string, T> {
  if (!delta) return before;
  const removed = new Set(delta.remove ?? []);
  const put = delta.put ?? {};
  const result: Record<string, T> = {};
  for (const [name, value] of Object.entries(before))
    if (!removed.has(name)) result[name] = Object.hasOwn(put, name) ? put[name] : value;
  for (const [name, value] of Object.entries(put)) if (!Object.hasOwn(before, name)) result[name] = value;
  return result;
}

function applyDelta(previous: VersionState, delta: VersionDelta): VersionState {
  return {
    layer: {
      documents: Object.values(applyRecord(byKey(previous.layer.documents), delta.documents)),
      grants: applyRecord(previous.layer.grants, delta.grants),
    },
    tenants: applyRecord(previous.tenants, delta.tenants),
    schema: {
      format: delta.format ?? previous.schema.format,
      modelHash: delta.modelHash ?? previous.schema.modelHash,
      tables: applyRecord(previous.schema.tables, delta.tables),
    },
  };
}

/** The delta from `previous` to `next`, or null when applying it would not give `next` exactly. */
export function deltaOf(previous: StudioVersion, next: VersionState): VersionDelta | null {
  const delta: VersionDelta = { from: previous.version };
  const documents = diffRecord(byKey(previous.layer.documents), byKey(next.layer.documents));
  const grants = diffRecord(previous.layer.grants, next.layer.grants);
  const tenants = diffRecord(previous.tenants, next.tenants);
  const tables = diffRecord(previous.schema.tables, next.schema.tables);
  if (documents) delta.documents = documents;
  if (grants) delta.grants = grants;
  if (tenants) delta.tenants = tenants;
  if (tables) delta.tables = tables;
  if (next.schema.format !== previous.schema.format) delta.format = next.schema.format;
  if (next.schema.modelHash !== previous.schema.modelHash) delta.modelHash = next.schema.modelHash;
  // Order of documents or keys the delta cannot express (a rollback reordering them): store in full.
  return JSON.stringify(applyDelta(previous, delta)) === JSON.stringify(next) ? delta : null;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
