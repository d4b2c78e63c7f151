/**
 * After `mes metadata pull`, the pulled studio entities are core metadata of the repository, but
 * their tables already exist in the databases the studio published to. Adopting them records those
 * tables in the committed snapshot and writes a migration that creates them only where they are
 * missing (a fresh database), so `mes migrate generate` finds no difference from the live schema
 * and `mes migrate run` leaves the studio's tables and data as they are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diffSnapshots, type SchemaChange } from '../../../metadata/src/model/schema-diff';
import { stableStringify, toSnapshot, type SnapshotTable } from '../../../metadata/src/model/snapshot';
import type { Model } from '../../../metadata/src/model/types';
import { documentKey, type StudioLayer } from '../../../metadata/src/studio/layer';
import { MIGRATIONS_DIR, readSnapshot, SNAPSHOT_FILE } from '../migrations/generate-migration';
import { formatSource, renderMigration } from '../migrations/render-migration';

export interface Adoption {
  changes: SchemaChange[];
  /** Relative to the output folder; absent when the snapshot already held every studio table. */
  migrationFile?: string;
  snapshotFile?: string;
}

/** Records the tables of the layer's entities (as `model` compiles them) in `out`'s snapshot. */
export async function adoptStudioTables(
  out: string,
  layer: StudioLayer,
  model: Model,
  version: number,
  timestamp = Date.now(),
): Promise<Adoption> {
  const entities = new Set(
    layer.documents.flatMap((d) => (documentKey(d)?.kind === 'entity' ? [String(d.entity)] : [])),
  );
  const committed = readSnapshot(out);
  const next = toSnapshot(model, { origin: 'core' });
  const studio: Record<string, SnapshotTable> = {};
  for (const [name, table] of Object.entries(next.tables))
    if (entities.has(table.entity)) studio[name] = table;
  const adopted = { ...committed, tables: sortByKey({ ...committed.tables, ...studio }) };
  const changes = diffSnapshots(committed, adopted, { allowDestructive: false });
  if (changes.length === 0) return { changes };
  const migration = await renderMigration(changes, {
    name: `adopt-studio-version-${version}`,
    timestamp,
    modelHash: model.hash,
    adopt: true,
  });
  const migrationFile = join(MIGRATIONS_DIR, migration.fileName);
  mkdirSync(join(out, MIGRATIONS_DIR), { recursive: true });
  writeFileSync(join(out, migrationFile), migration.content);
  mkdirSync(dirname(join(out, SNAPSHOT_FILE)), { recursive: true });
  writeFileSync(join(out, SNAPSHOT_FILE), await formatSource(stableStringify(adopted), 'json'));
  return { changes, migrationFile, snapshotFile: SNAPSHOT_FILE };
}

function sortByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
