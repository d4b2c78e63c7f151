import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';

export interface MetadataSource {
  file: string;
  /** `core` or the plugin name. */
  origin: string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const PLUGIN_MANIFEST = 'plugin.yaml';

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Metadata files under a folder, recursively, in a stable (sorted) order. */
function walk(dir: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(path));
    else if (EXTENSIONS.has(extname(entry.name))) files.push(path);
  }
  return files;
}

/**
 * A plugin's manifest (`plugins/<name>/plugin.yaml`) or a file of its `plugins/<name>/metadata/` tree
 * belongs to that plugin; anything else is core. Only that layout counts, so a checkout that happens
 * to sit in a folder named `plugins` (`/srv/plugins/btc-mes/metadata/modules/…`) stays core.
 */
export function originOf(file: string): string {
  const parts = resolve(file).split(sep);
  for (let index = parts.length - 3; index >= 0; index--) {
    if (parts[index] !== 'plugins') continue;
    const inside = parts[index + 2];
    const manifest = inside === PLUGIN_MANIFEST && index + 3 === parts.length;
    const metadata = inside === 'metadata' && parts[index + 3] !== 'modules';
    if (manifest || metadata) return parts[index + 1];
  }
  return 'core';
}

/** A plugin folder contributes its manifest and its `metadata/` tree, nothing else (not server code). */
function pluginSources(pluginDir: string): MetadataSource[] {
  const origin = basename(pluginDir);
  const files = [join(pluginDir, PLUGIN_MANIFEST)];
  const metadataDir = join(pluginDir, 'metadata');
  if (isDirectory(metadataDir)) files.push(...walk(metadataDir));
  return files.map((file) => ({ file, origin }));
}

function pluginDirs(pluginsDir: string): string[] {
  return readdirSync(pluginsDir)
    .sort()
    .map((name) => join(pluginsDir, name))
    .filter((dir) => existsSync(join(dir, PLUGIN_MANIFEST)));
}

/**
 * The metadata files a path stands for, in load order. A path may be a file; a plugin folder; a
 * folder of plugins; a project root (its `metadata/modules` then its `plugins`); or any other folder,
 * read recursively.
 */
export function discoverSources(path: string): MetadataSource[] {
  const root = resolve(path);
  if (!isDirectory(root)) return [{ file: root, origin: originOf(root) }];
  if (existsSync(join(root, PLUGIN_MANIFEST))) return pluginSources(root);
  const modulesDir = join(root, 'metadata', 'modules');
  const pluginsDir = join(root, 'plugins');
  if (isDirectory(modulesDir) || isDirectory(pluginsDir)) {
    const core = isDirectory(modulesDir) ? walk(modulesDir).map((file) => ({ file, origin: 'core' })) : [];
    const plugins = isDirectory(pluginsDir) ? pluginDirs(pluginsDir).flatMap(pluginSources) : [];
    return [...core, ...plugins];
  }
  const plugins = pluginDirs(root);
  if (plugins.length > 0) return plugins.flatMap(pluginSources);
  return walk(root).map((file) => ({ file, origin: originOf(file) }));
}

/** Core before plugins (so a plugin's duplicate is the one reported), each file once. */
export function discoverAll(paths: readonly string[]): MetadataSource[] {
  const seen = new Set<string>();
  const sources = paths.flatMap(discoverSources).filter((source) => {
    if (seen.has(source.file)) return false;
    seen.add(source.file);
    return true;
  });
  return [...sources.filter((s) => s.origin === 'core'), ...sources.filter((s) => s.origin !== 'core')];
}
