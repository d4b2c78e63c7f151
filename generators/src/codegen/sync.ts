import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contentHash, readManifest, serializeManifest, type Manifest } from './manifest';
import { MANIFEST_PATH } from './paths';
import type { GeneratedFile } from './types';

/**
 * - `unchanged`: on disk exactly as generated;
 * - `missing`: not on disk;
 * - `stale`: on disk as the generator last wrote it, but the metadata (or a template) changed since;
 * - `hand-edited`: on disk with content the generator never wrote;
 * - `orphaned`: written by an earlier run for metadata that no longer exists.
 */
export type OutputStatus = 'unchanged' | 'missing' | 'stale' | 'hand-edited' | 'orphaned';

export interface OutputState {
  path: string;
  status: OutputStatus;
  entity?: string;
}

export interface SyncPlan {
  outputs: OutputState[];
  /** Outputs whose status is not `unchanged`. */
  changes: OutputState[];
}

export interface PlanOptions {
  /** Only part of the outputs was generated (`--entity`): orphans cannot be told apart, so none are reported. */
  partial?: boolean;
}

/** Compares the generated outputs with the disk and the manifest, without writing anything. */
export function planSync(root: string, files: GeneratedFile[], options: PlanOptions = {}): SyncPlan {
  const manifest = readManifest(root);
  const outputs: OutputState[] = files.map((file) => ({
    path: file.path,
    entity: file.entity,
    status: statusOf(root, file, manifest),
  }));
  if (!options.partial) {
    const expected = new Set(files.map((f) => f.path));
    for (const path of Object.keys(manifest).sort()) {
      if (!expected.has(path) && existsSync(join(root, path))) outputs.push({ path, status: 'orphaned' });
    }
  }
  return { outputs, changes: outputs.filter((o) => o.status !== 'unchanged') };
}

function statusOf(root: string, file: GeneratedFile, manifest: Manifest): OutputStatus {
  const absolute = join(root, file.path);
  if (!existsSync(absolute)) return 'missing';
  const current = readFileSync(absolute, 'utf8');
  if (current === file.content) return 'unchanged';
  return manifest[file.path] === contentHash(current) ? 'stale' : 'hand-edited';
}

/** Writes changed outputs, removes orphans and records what was written in the manifest. */
export function applySync(root: string, files: GeneratedFile[], plan: SyncPlan): void {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const manifest = readManifest(root);
  for (const change of plan.changes) {
    const absolute = join(root, change.path);
    if (change.status === 'orphaned') {
      rmSync(absolute, { force: true });
      delete manifest[change.path];
      continue;
    }
    const file = byPath.get(change.path);
    if (!file) continue;
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, file.content);
  }
  for (const file of files) manifest[file.path] = contentHash(file.content);
  const manifestFile = join(root, MANIFEST_PATH);
  const serialized = serializeManifest(manifest);
  if (!existsSync(manifestFile) || readFileSync(manifestFile, 'utf8') !== serialized) {
    mkdirSync(dirname(manifestFile), { recursive: true });
    writeFileSync(manifestFile, serialized);
  }
}
