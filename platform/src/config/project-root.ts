/**
 * The project root, against which relative paths in the environment (`MES_FILES_DIR`, the plugin
 * store, …) resolve. Works from the sources (platform/src/<room>) and from the build
 * (dist/platform/src/<room>).
 */
import { basename, dirname, resolve } from 'node:path';

export function projectRoot(): string {
  const root = resolve(__dirname, '..', '..', '..');
  return basename(root) === 'dist' ? dirname(root) : root;
}
