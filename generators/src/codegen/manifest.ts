import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_PATH } from './paths';

/**
 * What the last `mes generate` wrote: path → content hash. It tells a stale output (on disk as the
 * generator wrote it, but the metadata changed) from a hand-edited one, and lists outputs to remove
 * when their entity disappears.
 */
export type Manifest = Record<string, string>;

export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

export function readManifest(root: string): Manifest {
  const file = join(root, MANIFEST_PATH);
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { files?: Manifest };
  return parsed.files ?? {};
}

/** Sorted keys, trailing newline: the manifest is itself a deterministic output. */
export function serializeManifest(manifest: Manifest): string {
  const files = Object.fromEntries(
    Object.keys(manifest)
      .sort()
      .map((path) => [path, manifest[path]]),
  );
  return `${JSON.stringify({ generator: 'mes generate', files }, null, 2)}\n`;
}
