import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diffSnapshots, type SchemaChange } from '../../../metadata/src/model/schema-diff';
import {
  emptySnapshot,
  parseSnapshot,
  stableStringify,
  toSnapshot,
  type SchemaSnapshot,
} from '../../../metadata/src/model/snapshot';
import type { Model } from '../../../metadata/src/model/types';
import { formatSource, renderMigration } from './render-migration';

export const MIGRATIONS_DIR = join('database', 'migrations');
export const SNAPSHOT_FILE = join('database', 'snapshots', 'model.snapshot.json');

export interface GenerateMigrationInput {
  /** Project root holding database/. */
  root: string;
  name: string;
  model: Model;
  allowDestructive?: boolean;
  /** Only entities of this origin (default `core`); plugins carry their own migrations. */
  origin?: string;
  /** Timestamp of the migration (default now). */
  timestamp?: number;
}

export interface GenerateMigrationResult {
  changes: SchemaChange[];
  /** Path of the written migration relative to root; undefined when nothing changed. */
  migrationFile?: string;
  snapshotFile: string;
}

/**
 * The schema changes the Model needs beyond the committed snapshot, destructive ones included:
 * empty when every metadata change already has its migration.
 */
export function pendingSchemaChanges(root: string, model: Model, origin = 'core'): SchemaChange[] {
  return diffSnapshots(readSnapshot(root), toSnapshot(model, { origin }), { allowDestructive: true });
}

/**
 * Diffs the Model against the committed snapshot; when they differ, writes a migration bringing the
 * database from one to the other and the new snapshot. Throws DestructiveChangeError, writing
 * nothing, when the diff drops data and that was not allowed.
 */
export async function generateMigration(input: GenerateMigrationInput): Promise<GenerateMigrationResult> {
  const next = toSnapshot(input.model, { origin: input.origin ?? 'core' });
  const changes = diffSnapshots(readSnapshot(input.root), next, { allowDestructive: input.allowDestructive });
  if (changes.length === 0) return { changes, snapshotFile: SNAPSHOT_FILE };

  const migration = await renderMigration(changes, {
    name: input.name,
    timestamp: input.timestamp ?? Date.now(),
    modelHash: input.model.hash,
  });
  const migrationFile = join(MIGRATIONS_DIR, migration.fileName);
  mkdirSync(join(input.root, MIGRATIONS_DIR), { recursive: true });
  writeFileSync(join(input.root, migrationFile), migration.content);
  const snapshotPath = join(input.root, SNAPSHOT_FILE);
  mkdirSync(dirname(snapshotPath), { recursive: true });
  writeFileSync(snapshotPath, await formatSource(stableStringify(next), 'json'));
  return { changes, migrationFile, snapshotFile: SNAPSHOT_FILE };
}

export function readSnapshot(root: string): SchemaSnapshot {
  const path = join(root, SNAPSHOT_FILE);
  return existsSync(path) ? parseSnapshot(readFileSync(path, 'utf8')) : emptySnapshot();
}
