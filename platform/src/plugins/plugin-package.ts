/**
 * Plugin packages: `mes plugin build <dir>` packs `<name>-<version>.tgz` (the plugin's files with the
 * server code compiled to `server/dist`, without the TypeScript sources), its sha256 and, when given a
 * signing key, its detached signature; an uploaded package is checked and unpacked into the plugin
 * store, one folder per name, version and digest.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readPluginFolder } from './model-composer';
import { BUILT_SERVER_DIR, buildServerCode } from './plugin-code';
import { pluginChecksum } from './plugin-checksum';
import { SIGNATURE_SUFFIX, signPackage } from './plugin-signature';
import { ArchiveRejectedError, readTarGz, writeTarGz, type ReadLimits } from './plugin-tar';

export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** What an uploaded package may hold at most. */
export const DEFAULT_PACKAGE_LIMITS: ReadLimits = { maxBytes: 64 * 1024 * 1024, maxEntries: 5000 };

export interface BuiltPackage {
  name: string;
  version: string;
  /** The written `<name>-<version>.tgz`. */
  file: string;
  /** sha256 of the .tgz file (also written to `<file>.sha256`). */
  sha256: string;
  /** The plugin's content checksum (ext_plugin `checksum` after installing the package). */
  checksum: string;
  /** `<file>.sig`, the detached Ed25519 signature, when built with a signing key. */
  signatureFile?: string;
}

export interface UnpackedPackage {
  /** The plugin folder (named after the plugin) inside the store. */
  dir: string;
  name: string;
  version: string;
  sha256: string;
}

/** Builds the package of the plugin in `dir` into `outDir`, signed with `signingKey` when given. */
export async function buildPluginPackage(
  dir: string,
  outDir: string,
  signingKey?: KeyObject,
): Promise<BuiltPackage> {
  const { manifest } = readPluginFolder(dir);
  const name = manifest.plugin;
  const staging = mkdtempSync(join(tmpdir(), `mes-plugin-${name}-`));
  try {
    const root = join(staging, name);
    cpSync(dir, root, {
      recursive: true,
      filter: (source) => {
        const path = relative(dir, source).split(sep);
        return !['node_modules', '.git'].includes(path[path.length - 1]) && path[0] !== 'server';
      },
    });
    if (existsSync(join(dir, 'server'))) buildOrCopyServer(dir, name, join(root, BUILT_SERVER_DIR));
    const files = listFiles(root).map((file) => ({
      path: `${name}/${relative(root, file).split(sep).join('/')}`,
      content: readFileSync(file),
    }));
    const archive = await writeTarGz(files);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${name}-${manifest.version}.tgz`);
    writeFileSync(file, archive);
    const sha256 = createHash('sha256').update(archive).digest('hex');
    writeFileSync(`${file}.sha256`, `${sha256}  ${name}-${manifest.version}.tgz\n`);
    const built: BuiltPackage = {
      name,
      version: manifest.version,
      file,
      sha256,
      checksum: pluginChecksum(root),
    };
    if (!signingKey) return built;
    const signatureFile = `${file}${SIGNATURE_SUFFIX}`;
    writeFileSync(signatureFile, `${signPackage(archive, signingKey)}\n`);
    return { ...built, signatureFile };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Checks and unpacks an uploaded package into `storeRoot`: safe paths only, a `plugin.yaml` at the
 * root (or in the one top folder), a valid plugin name and version. Throws ArchiveRejectedError.
 */
export async function unpackPluginPackage(
  archive: Buffer,
  storeRoot: string,
  limits: ReadLimits = DEFAULT_PACKAGE_LIMITS,
): Promise<UnpackedPackage> {
  const files = withoutTopFolder(await readTarGz(archive, limits));
  const manifestFile = files.find((f) => f.path === 'plugin.yaml');
  if (!manifestFile) throw new ArchiveRejectedError('manifest', 'the package has no plugin.yaml');
  let manifest: { plugin?: unknown; version?: unknown };
  try {
    manifest = (parseYaml(manifestFile.content.toString('utf8')) ?? {}) as typeof manifest;
  } catch (error) {
    throw new ArchiveRejectedError('manifest', `plugin.yaml is not YAML: ${(error as Error).message}`);
  }
  const { plugin: name, version } = manifest;
  if (typeof name !== 'string' || !PLUGIN_NAME_PATTERN.test(name))
    throw new ArchiveRejectedError('manifest', 'plugin.yaml: `plugin` must be a lower-case plugin name');
  if (typeof version !== 'string' || !/^[0-9A-Za-z.+-]+$/.test(version))
    throw new ArchiveRejectedError('manifest', 'plugin.yaml: `version` must be a semver version');
  const sha256 = createHash('sha256').update(archive).digest('hex');
  const target = join(storeRoot, `${name}-${version}-${sha256.slice(0, 12)}`, name);
  if (existsSync(join(target, 'plugin.yaml'))) return { dir: target, name, version, sha256 };
  const staging = join(storeRoot, `.unpack-${randomUUID()}`);
  try {
    for (const file of files) {
      const path = join(staging, ...file.path.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
    }
    mkdirSync(dirname(target), { recursive: true });
    if (!existsSync(target)) renameSync(staging, target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir: target, name, version, sha256 };
}

function buildOrCopyServer(dir: string, name: string, outDir: string): void {
  const hasSources = listFiles(join(dir, 'server')).some(
    (file) => file.endsWith('.ts') && !file.startsWith(join(dir, BUILT_SERVER_DIR) + sep),
  );
  if (hasSources) buildServerCode(dir, name, outDir);
  else if (existsSync(join(dir, BUILT_SERVER_DIR)))
    cpSync(join(dir, BUILT_SERVER_DIR), outDir, { recursive: true });
}

/** Packages usually hold one top folder (`procurement/plugin.yaml`); its contents are the plugin. */
function withoutTopFolder<T extends { path: string }>(files: T[]): T[] {
  if (files.some((f) => f.path === 'plugin.yaml')) return files;
  const tops = new Set(files.map((f) => f.path.split('/')[0]));
  if (tops.size !== 1 || files.some((f) => !f.path.includes('/'))) return files;
  const top = [...tops][0];
  return files.map((f) => ({ ...f, path: f.path.slice(top.length + 1) }));
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.name === 'node_modules' || entry.name === '.git') return [];
    return entry.isDirectory() ? listFiles(path) : entry.isFile() ? [path] : [];
  });
}
