import type { DataSource } from 'typeorm';
import type { PluginStatus } from '../contracts/plugins';
import type { SqlExecutor } from '../data/database';
import type { PluginManifest } from '../../../metadata/src/types';
import type { SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import { nowForDb } from '../data/values';

/** What the `manifest` JSON column holds besides the manifest itself. */
export interface PluginRecordState {
  manifest: PluginManifest;
  /** Folder the plugin was installed from (or unpacked to). */
  dir: string;
  /** sha256 of the plugin's files (metadata, server, migrations) at install or upgrade. */
  checksum: string;
  /** The plugin's tables as last migrated; the next install or upgrade diffs against it. */
  schema: SchemaSnapshot;
  /** Consecutive hook faults; reset by enable. */
  faults: number;
  lastError?: string;
  /** sha256 of the uploaded `.tgz` the plugin was installed or upgraded from. */
  packageSha256?: string;
  /** The hand-written SQL migrations (`migrations/*.sql`, by id) already run. */
  migrationsApplied?: string[];
}

export interface PluginRecord extends PluginRecordState {
  name: string;
  version: string;
  status: PluginStatus;
  installedAt: string;
  installedBy: string | null;
  updatedAt: string;
}

interface PluginRow {
  name: string;
  version: string;
  status: PluginStatus;
  manifest: string | PluginRecordState;
  installed_at: string | Date;
  installed_by: string | null;
  updated_at: string | Date;
}

const COLUMNS = 'name, version, status, manifest, installed_at, installed_by, updated_at';

/** Reads and writes the plugin registry table `ext_plugin` with plain SQL both drivers accept. */
export class PluginStore {
  constructor(private readonly dataSource: DataSource) {}

  async list(): Promise<PluginRecord[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ext_plugin ORDER BY name`,
    )) as PluginRow[];
    return rows.map(toRecord);
  }

  async find(name: string): Promise<PluginRecord | null> {
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM ext_plugin WHERE name = ?`, [
      name,
    ])) as PluginRow[];
    return rows.length > 0 ? toRecord(rows[0]) : null;
  }

  /**
   * Inserts the row or replaces every column of the existing one (reinstall after uninstall), inside
   * `tx` when given (the transaction that also audits the change).
   */
  async save(
    record: Omit<PluginRecord, 'installedAt' | 'installedBy' | 'updatedAt'>,
    by: string | null,
    tx?: SqlExecutor,
  ): Promise<void> {
    const query = (sql: string, params: unknown[]): Promise<unknown[]> =>
      tx ? tx.query(sql, params) : this.dataSource.query(sql, params);
    const state: PluginRecordState = {
      manifest: record.manifest,
      dir: record.dir,
      checksum: record.checksum,
      schema: record.schema,
      faults: record.faults,
      ...(record.lastError ? { lastError: record.lastError } : {}),
      ...(record.packageSha256 ? { packageSha256: record.packageSha256 } : {}),
      ...(record.migrationsApplied ? { migrationsApplied: record.migrationsApplied } : {}),
    };
    const now = nowForDb();
    const existing = await query('SELECT name FROM ext_plugin WHERE name = ?', [record.name]);
    if (existing.length > 0) {
      await query(
        'UPDATE ext_plugin SET version = ?, status = ?, manifest = ?, installed_by = ?, updated_at = ? WHERE name = ?',
        [record.version, record.status, JSON.stringify(state), by, now, record.name],
      );
    } else {
      await query(`INSERT INTO ext_plugin (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        record.name,
        record.version,
        record.status,
        JSON.stringify(state),
        now,
        by,
        now,
      ]);
    }
  }

  /** Keeps an uploaded package (once per sha256) so every instance can unpack it. */
  async savePackage(
    pkg: { sha256: string; plugin: string; version: string; archive: Buffer },
    tx: SqlExecutor,
  ): Promise<void> {
    const existing = await tx.query('SELECT sha256 FROM ext_plugin_package WHERE sha256 = ?', [pkg.sha256]);
    if (existing.length > 0) return;
    await tx.query(
      'INSERT INTO ext_plugin_package (sha256, plugin, version, archive, stored_at) VALUES (?, ?, ?, ?, ?)',
      [pkg.sha256, pkg.plugin, pkg.version, pkg.archive, nowForDb()],
    );
  }

  /** The uploaded package with this sha256, or null when none was kept. */
  async loadPackage(sha256: string): Promise<Buffer | null> {
    const rows = (await this.dataSource.query('SELECT archive FROM ext_plugin_package WHERE sha256 = ?', [
      sha256,
    ])) as { archive: Buffer | Uint8Array }[];
    return rows.length > 0 ? Buffer.from(rows[0].archive) : null;
  }

  async delete(name: string, tx: SqlExecutor): Promise<void> {
    await tx.query('DELETE FROM ext_plugin WHERE name = ?', [name]);
  }
}

function toRecord(row: PluginRow): PluginRecord {
  const state =
    typeof row.manifest === 'string' ? (JSON.parse(row.manifest) as PluginRecordState) : row.manifest;
  return {
    ...state,
    name: row.name,
    version: row.version,
    status: row.status,
    installedAt: dbTime(row.installed_at),
    installedBy: row.installed_by,
    updatedAt: dbTime(row.updated_at),
  };
}

function dbTime(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : `${value.replace(' ', 'T')}Z`;
}
