/**
 * A plugin's server code: TypeScript under `server/` built to CommonJS, and the built code loaded
 * with a dynamic import as a fresh module instance every time the plugin is (re)activated.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type * as TypeScript from 'typescript';
import type { PluginManifest } from '../../../metadata/src/types';
import type { PluginModule } from './plugin-api';

/** Where `mes plugin build` puts the compiled code inside the plugin (the manifest's `server` default). */
export const BUILT_SERVER_DIR = 'server/dist';
const DEFAULT_ENTRY = `${BUILT_SERVER_DIR}/index.js`;
const SKIPPED = new Set(['node_modules', '.git']);

/** The plugin's server code is missing, does not compile or does not export `register`. */
export class PluginCodeError extends Error {
  constructor(
    readonly plugin: string,
    message: string,
  ) {
    super(`plugin ${plugin}: ${message}`);
    this.name = 'PluginCodeError';
  }
}

/** Whether the plugin has server code: TypeScript sources under `server/` or a built entry. */
export function hasServerCode(dir: string, manifest: PluginManifest): boolean {
  return typeScriptSources(dir).length > 0 || existsSync(join(dir, entryOf(manifest)));
}

/** The built entry relative to the plugin folder (`server/dist/index.js` unless the manifest says otherwise). */
export function entryOf(manifest: PluginManifest): string {
  return manifest.server ?? DEFAULT_ENTRY;
}

/**
 * Compiles `server/**\/*.ts` (tests and declarations excepted) to CommonJS under `outDir`, keeping
 * the folder layout below `server/`, and copies `.js`/`.cjs`/`.json` files as they are. The
 * TypeScript compiler is loaded only here: a plugin installed from a built package needs none.
 */
export function buildServerCode(dir: string, name: string, outDir: string): void {
  const sources = typeScriptSources(dir);
  const serverDir = join(dir, 'server');
  const ts = loadTypeScript(name);
  mkdirSync(outDir, { recursive: true });
  for (const file of sources) {
    const out = join(outDir, relative(serverDir, file)).replace(/\.ts$/, '.js');
    const result = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        inlineSourceMap: true,
        inlineSources: true,
      },
    });
    const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0)
      throw new PluginCodeError(
        name,
        `${relative(dir, file)} does not compile: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`,
      );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, result.outputText);
  }
  for (const file of listFiles(serverDir, isBuiltDir(dir)).filter((f) => /\.(c?js|json)$/.test(f)))
    cpSync(file, join(outDir, relative(serverDir, file)));
  // The folder may sit inside a `"type": "module"` package; its .js files are CommonJS.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
}

/**
 * Puts the plugin's runnable code in a folder of its own per version and checksum under `codeRoot`:
 * compiled from the TypeScript sources when the folder has them, otherwise the built `server/dist`
 * copied. Reuses a folder already prepared for the same checksum.
 */
export function prepareServerCode(
  dir: string,
  manifest: PluginManifest,
  checksum: string,
  codeRoot: string,
): PreparedCode {
  const name = manifest.plugin;
  const target = join(codeRoot, name, `${manifest.version}-${checksum.slice(0, 16)}`);
  const entry = entryOf(manifest);
  const builtEntry = entry.startsWith(`${BUILT_SERVER_DIR}/`)
    ? entry.slice(BUILT_SERVER_DIR.length + 1)
    : relative('server', entry);
  if (!existsSync(target)) {
    const staging = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      if (typeScriptSources(dir).length > 0) buildServerCode(dir, name, staging);
      else if (existsSync(join(dir, BUILT_SERVER_DIR))) {
        cpSync(join(dir, BUILT_SERVER_DIR), staging, { recursive: true });
        writeFileSync(join(staging, 'package.json'), '{ "type": "commonjs" }\n');
      } else throw new PluginCodeError(name, `no server code: neither server/*.ts nor ${entry}`);
      // Another instance (or process) may have prepared the same code meanwhile: either copy will do.
      if (!existsSync(target)) renameSync(staging, target);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!existsSync(join(target, builtEntry)))
    throw new PluginCodeError(name, `the server entry ${entry} was not built`);
  return { folder: target, entry: builtEntry };
}

/** Built code ready to load: its folder and the entry file relative to it. */
export interface PreparedCode {
  folder: string;
  entry: string;
}

/**
 * Imports the plugin's code as a fresh module instance: the prepared folder is copied to a folder of
 * this activation (module caches are keyed by file path, so every file of the plugin, not only the
 * entry, is loaded anew), whose entry is then imported. Returns the module and the activation folder
 * (removed by `releasePluginCode` when the code is deactivated).
 */
export async function importPluginModule(
  name: string,
  prepared: PreparedCode,
): Promise<{ module: PluginModule; folder: string }> {
  const folder = `${prepared.folder}${RUN_MARK}${hostname()}-${process.pid}-${++activations}`;
  cpSync(prepared.folder, folder, { recursive: true });
  try {
    const loaded = (await dynamicImport(pathToFileURL(join(folder, prepared.entry)).href)) as {
      register?: unknown;
      default?: { register?: unknown };
    };
    const register = loaded.register ?? loaded.default?.register;
    if (typeof register !== 'function')
      throw new PluginCodeError(name, 'the server entry does not export register(api)');
    return { module: { register: register as PluginModule['register'] }, folder };
  } catch (error) {
    releasePluginCode(folder);
    if (error instanceof PluginCodeError) throw error;
    throw new PluginCodeError(name, `server code failed to load: ${messageOf(error)}`);
  }
}

/** Forgets an activation's modules (so they can be collected) and removes its folder. */
export function releasePluginCode(folder: string): void {
  const cache = createRequire(__filename).cache;
  const prefix = folder + sep;
  for (const key of Object.keys(cache)) if (key.startsWith(prefix)) delete cache[key];
  rmSync(folder, { recursive: true, force: true });
}

let activations = 0;
const RUN_MARK = '.run-';

/**
 * Removes the activation folders a process of this host left behind when it ended without
 * deactivating its plugins (a crash, a kill). Folders of live processes, and of other hosts sharing
 * the store, are kept.
 */
export function removeStaleActivations(codeRoot: string): void {
  if (!existsSync(codeRoot)) return;
  const mine = new RegExp(`\\${RUN_MARK}${escapeRegExp(hostname())}-(\\d+)-\\d+$`);
  for (const plugin of readdirSync(codeRoot, { withFileTypes: true })) {
    if (!plugin.isDirectory()) continue;
    for (const entry of readdirSync(join(codeRoot, plugin.name))) {
      const pid = mine.exec(entry)?.[1];
      if (pid !== undefined && !processAlive(Number(pid)))
        rmSync(join(codeRoot, plugin.name, entry), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `import()` of the Node loader. Test runners that evaluate this file in a VM context without a
 * dynamic-import callback reject `import()`; there the import runs in the main context instead.
 */
async function dynamicImport(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')) throw error;
    const mainContextImport = vm.runInThisContext('(specifier) => import(specifier)', {
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as (specifier: string) => Promise<unknown>;
    return mainContextImport(url);
  }
}

function loadTypeScript(name: string): typeof TypeScript {
  try {
    return createRequire(__filename)('typescript') as typeof TypeScript;
  } catch {
    throw new PluginCodeError(
      name,
      'server/*.ts needs the TypeScript compiler; install a package built by `mes plugin build`',
    );
  }
}

function typeScriptSources(dir: string): string[] {
  const serverDir = join(dir, 'server');
  if (!existsSync(serverDir)) return [];
  return listFiles(serverDir, isBuiltDir(dir)).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !/\.(test|spec)\.ts$/.test(file),
  );
}

function isBuiltDir(dir: string): (path: string) => boolean {
  const built = join(dir, BUILT_SERVER_DIR);
  return (path) => path === built;
}

function listFiles(dir: string, skip: (path: string) => boolean): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (SKIPPED.has(entry.name) || skip(path)) continue;
    if (entry.isDirectory()) files.push(...listFiles(path, skip));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
