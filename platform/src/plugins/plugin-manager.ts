import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import semver from 'semver';
import type { DataSource } from 'typeorm';
import type { ExtensionFieldInput, Model } from '../../../metadata/src/model';
import { emptyLayer, loadLayer, type StudioLayer } from '../../../metadata/src/studio/layer';
import {
  DestructiveChangeError,
  diffSnapshots,
  inverseChanges,
  type SchemaChange,
} from '../../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot, type SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import type { Diagnostic } from '../../../metadata/src/diagnostic';
import type { PluginManifest } from '../../../metadata/src/types';
import type { CatalogPlugin, PluginInfo } from '../contracts/plugins';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { ExtensionFieldStore } from '../extensions/extension-field-store';
import type { ModelRegistry } from '../kernel/model-registry';
import { auditMetadataChange, type MetadataActor } from './metadata-change';
import { MetadataRejectedError, ModelComposer, readPluginFolder } from './model-composer';
import { pluginChecksum } from './plugin-checksum';
import { hasServerCode, PluginCodeError } from './plugin-code';
import { PluginFaultError, PluginTimeoutError } from './plugin-isolation';
import { unpackPluginPackage } from './plugin-package';
import type { PluginCode, PluginInstance, PluginRuntime } from './plugin-runtime';
import {
  dialectOf,
  pendingSqlMigrations,
  runSqlMigrations,
  SqlMigrationError,
} from './plugin-sql-migrations';
import { ArchiveRejectedError } from './plugin-tar';
import { pluginMetadataRejected, pluginNotFound, pluginRejected, pluginStateConflict } from './plugin-errors';
import { SignatureRejectedError, verifyPackageSignature } from './plugin-signature';
import { PluginStore, type PluginRecord } from './plugin-store';
import { applyReversibly, SchemaStepError } from './schema-steps';
import { ensureModelRoleRows } from '../security/role-registry-store';

export interface PluginManagerOptions {
  /** The engine's database: registry rows and their audit records are written through it. */
  database: EngineDatabase;
  /** Core metadata roots (as `mes validate` reads them); plugins found there are only available. */
  roots: readonly string[];
  /** Folders holding plugin folders that may be installed by name (the project's `plugins/`). */
  catalog: readonly string[];
  /** This platform's version, checked against each plugin's `engine` range. */
  engineVersion: string;
  /** Where uploaded packages are unpacked on this instance (each keeps its own); default `data/plugins`. */
  storeRoot?: string;
  /** Largest uploaded `.tgz` in bytes; default 20 MiB. */
  uploadLimit?: number;
  /** Whether the admin API accepts uploaded packages; default true. */
  uploads?: boolean;
  /** Ed25519 public keys a package must be signed by; none = unsigned packages are accepted. */
  trustedKeys?: readonly KeyObject[];
  /** The published Metadata Studio layer, read again at every composition (shared by the instances). */
  studio?: {
    layer(): Promise<StudioLayer>;
    /** The newest version: its layer and the hash of the Model its publisher validated. */
    current?(): Promise<{ layer: StudioLayer; hash: string } | null>;
  };
}

/** An uploaded `.tgz` being installed: kept in the database with the registry row. */
interface UploadedPackage {
  sha256: string;
  archive: Buffer;
}

export type { CatalogPlugin, PluginInfo };

/** Listens for Model rebuilds the manager made (cross-instance sync publishes them). */
export type MetadataChangeListener = (reason: string) => void;

/**
 * Installs, enables, disables, upgrades and uninstalls plugins at runtime. Every change is checked
 * first (manifest, engine and dependency ranges, metadata validated against core and the enabled
 * plugins), then the plugin's tables are migrated from the schema snapshot diff, then the registry
 * row is written and a new Model is swapped in. A failure at any step leaves the database and the
 * served Model as they were. Mutations run one at a time.
 */
export class PluginManager {
  private readonly store: PluginStore;
  private registry: ModelRegistry | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly extensionFields: ExtensionFieldStore;
  private readonly listeners = new Set<MetadataChangeListener>();
  private pluginRuntime: PluginRuntime | null = null;
  /** The studio layer of the last composition, which plugin checks validate against. */
  private studioLayer: StudioLayer = emptyLayer();
  private conflicts: Diagnostic[] = [];
  /** This instance's compositions, which reuse what the last ones parsed and validated. */
  private readonly composer = new ModelComposer();

  constructor(private readonly options: PluginManagerOptions) {
    this.store = new PluginStore(options.database.dataSource);
    this.extensionFields = new ExtensionFieldStore(options.database.dataSource);
  }

  get database(): EngineDatabase {
    return this.options.database;
  }

  private get dataSource(): DataSource {
    return this.options.database.dataSource;
  }

  /** The Model of core plus the enabled plugins and the extension fields, for startup. */
  async initialModel(): Promise<Model> {
    return this.compose(await this.enabledPlugins(), 1);
  }

  /** Attaches the registry the manager swaps Models into. */
  bind(registry: ModelRegistry): void {
    this.registry = registry;
  }

  /**
   * Attaches the runtime that runs plugins' server code and starts the code of the enabled plugins;
   * a plugin that trips on faults is marked `error`.
   */
  attachRuntime(runtime: PluginRuntime): Promise<void> {
    this.pluginRuntime = runtime;
    runtime.onTripped((name, reason) => {
      this.markFailed(name, reason).catch((error: unknown) =>
        runtime.logger.error({ err: error, plugin: name }, 'marking the plugin failed did not succeed'),
      );
    });
    return this.serialized(async () => {
      const failed = await this.syncRuntime();
      if (failed.length > 0) await this.swapIn(`${failed.join(', ')} failed to load`);
    });
  }

  /** The runtime of plugins' server code, once attached. */
  get runtime(): PluginRuntime | null {
    return this.pluginRuntime;
  }

  /** Where uploaded packages are unpacked; prepared server code lives in its `.code` folder. */
  get storeRoot(): string {
    return this.options.storeRoot ?? resolve('data', 'plugins');
  }

  get uploadLimit(): number {
    return this.options.uploadLimit ?? 20 * 1024 * 1024;
  }

  /** Whether packages may be uploaded through the admin API (MES_PLUGIN_UPLOADS). */
  get uploadsAllowed(): boolean {
    return this.options.uploads ?? true;
  }

  onChange(listener: MetadataChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async list(): Promise<PluginInfo[]> {
    return (await this.records()).filter((r) => r.status !== 'uninstalled').map(toInfo);
  }

  /** The plugins of the catalog folders that can be installed by name, whether installed or not. */
  catalogPlugins(): CatalogPlugin[] {
    const found = new Map<string, CatalogPlugin>();
    for (const folder of this.options.catalog) {
      if (!existsSync(folder)) continue;
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        if (!entry.isDirectory() || found.has(entry.name)) continue;
        if (!existsSync(join(folder, entry.name, 'plugin.yaml'))) continue;
        try {
          const manifest = this.readManifest(resolve(folder, entry.name));
          found.set(manifest.plugin, {
            name: manifest.plugin,
            version: manifest.version,
            label: manifest.label,
            description: manifest.description ?? null,
            dependencies: manifest.dependencies ?? {},
          });
        } catch {
          // A folder that is not a valid plugin is not offered; installing it by path names the problem.
        }
      }
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<PluginInfo> {
    return toInfo(await this.requireInstalled(name));
  }

  /**
   * Installs a plugin from a folder (absolute path) or by name from the catalog: migrates its tables
   * and registers it `installed`, or `enabled` (served at once) when `enable` is set.
   */
  install(source: string, by: MetadataActor, enable = false): Promise<PluginInfo> {
    return this.serialized(() => this.installFrom(this.resolveSource(source), by, enable, undefined));
  }

  /**
   * Installs an uploaded `.tgz` (built by `mes plugin build`): its signature checked against the
   * trusted keys (when configured), checked (safe paths, manifest) and unpacked into the plugin store,
   * then installed like a folder. A refused package leaves no files.
   */
  async installPackage(
    archive: Buffer,
    by: MetadataActor,
    enable = false,
    signature?: string,
  ): Promise<PluginInfo> {
    const unpacked = await this.unpack(archive, signature);
    const upload = { sha256: unpacked.sha256, archive };
    return this.serialized(() => this.installFrom(unpacked.dir, by, enable, upload)).catch((error: unknown) =>
      this.removeUnused(unpacked.dir).then(() => Promise.reject(error)),
    );
  }

  /** Upgrades to the version in an uploaded `.tgz`, checked like an installed one. */
  async upgradePackage(
    name: string,
    archive: Buffer,
    by: MetadataActor,
    signature?: string,
  ): Promise<PluginInfo> {
    const unpacked = await this.unpack(archive, signature);
    const upload = { sha256: unpacked.sha256, archive };
    return this.serialized(() => this.upgradeFrom(name, unpacked.dir, by, upload)).catch((error: unknown) =>
      this.removeUnused(unpacked.dir).then(() => Promise.reject(error)),
    );
  }

  private async installFrom(
    dir: string,
    by: MetadataActor,
    enable: boolean,
    upload: UploadedPackage | undefined,
  ): Promise<PluginInfo> {
    const packageSha256 = upload?.sha256;
    const manifest = this.readManifest(dir);
    const name = manifest.plugin;
    const existing = await this.record(name);
    if (existing && existing.status !== 'uninstalled')
      throw pluginStateConflict(name, `is already installed (${existing.status}); use upgrade`);
    await this.checkRequirements(manifest);
    const enabled = await this.enabledPlugins();
    const model = this.composeFor(name, new Map([...enabled, [name, dir]]));
    const checksum = pluginChecksum(dir);
    // The code is loaded and registered before anything changes: a plugin whose code fails is refused.
    const staged = await this.stageCode({ name, manifest, dir, checksum });
    try {
      const migrated = await this.migrate(
        name,
        existing?.schema ?? emptySnapshot(),
        model,
        dir,
        manifest,
        existing?.migrationsApplied ?? [],
      );
      const status = enable ? 'enabled' : 'installed';
      await this.audited(
        by,
        name,
        'install',
        { version: manifest.version, status, source: dir, ...(packageSha256 ? { packageSha256 } : {}) },
        async (tx) => {
          if (upload)
            await this.store.savePackage({ ...upload, plugin: name, version: manifest.version }, tx);
          await this.store.save(
            {
              name,
              version: manifest.version,
              status,
              manifest,
              dir,
              checksum,
              schema: migrated.schema,
              migrationsApplied: migrated.migrationsApplied,
              faults: 0,
              ...(packageSha256 ? { packageSha256 } : {}),
            },
            by.id,
            tx,
          );
        },
      );
    } catch (error) {
      if (staged) this.pluginRuntime?.discard(staged);
      throw error;
    }
    if (enable) await this.swapIn(`plugin ${name} installed and enabled`, true, staged);
    else if (staged) this.pluginRuntime?.discard(staged);
    return toInfo((await this.record(name)) ?? fail(name));
  }

  enable(name: string, by: MetadataActor): Promise<PluginInfo> {
    return this.serialized(async () => {
      const record = await this.requireInstalled(name);
      if (record.status === 'enabled') return toInfo(record);
      await this.checkRequirements(record.manifest);
      const enabled = await this.enabledPlugins();
      this.composeFor(name, new Map([...enabled, [name, record.dir]]));
      const staged = await this.stageCode(codeOf(record));
      await this.audited(by, name, 'enable', { version: record.version, from: record.status }, (tx) =>
        this.store.save({ ...record, status: 'enabled', faults: 0, lastError: undefined }, by.id, tx),
      );
      await this.swapIn(`plugin ${name} enabled`, true, staged);
      return toInfo((await this.record(name)) ?? fail(name));
    });
  }

  /** Takes the plugin out of the Model: its routes answer 404, its tables and rows stay. */
  disable(name: string, by: MetadataActor): Promise<PluginInfo> {
    return this.serialized(async () => {
      const record = await this.requireInstalled(name);
      await this.checkNoDependents(name, (r) => r.status === 'enabled');
      if (record.status !== 'enabled') return toInfo(record);
      await this.audited(by, name, 'disable', { version: record.version }, (tx) =>
        this.store.save({ ...record, status: 'disabled' }, by.id, tx),
      );
      await this.swapIn(`plugin ${name} disabled`);
      return toInfo((await this.record(name)) ?? fail(name));
    });
  }

  /** Moves the plugin to the version in `source` (default: its folder as it is now), migrating its tables. */
  upgrade(name: string, source: string | null, by: MetadataActor): Promise<PluginInfo> {
    return this.serialized(async () => {
      const record = await this.requireInstalled(name);
      return this.upgradeFrom(name, source ? this.resolveSource(source) : record.dir, by, undefined);
    });
  }

  private async upgradeFrom(
    name: string,
    dir: string,
    by: MetadataActor,
    upload: UploadedPackage | undefined,
  ): Promise<PluginInfo> {
    const packageSha256 = upload?.sha256;
    const record = await this.requireInstalled(name);
    const manifest = this.readManifest(dir);
    if (manifest.plugin !== name)
      throw pluginRejected(name, `${dir} holds plugin ${manifest.plugin}`, 'name');
    if (!semver.gt(manifest.version, record.version))
      throw pluginStateConflict(name, `version ${manifest.version} is not newer than ${record.version}`);
    await this.checkRequirements(manifest);
    const enabled = await this.enabledPlugins();
    const plugins = new Map(enabled);
    plugins.set(name, dir);
    const model = this.composeFor(name, plugins);
    const checksum = pluginChecksum(dir);
    const staged =
      record.status === 'enabled' ? await this.stageCode({ name, manifest, dir, checksum }) : null;
    try {
      const migrated = await this.migrate(
        name,
        record.schema,
        model,
        dir,
        manifest,
        record.migrationsApplied ?? [],
      );
      const { packageSha256: _previousPackage, ...kept } = record;
      const detail = {
        fromVersion: record.version,
        toVersion: manifest.version,
        source: dir,
        ...(packageSha256 ? { packageSha256 } : {}),
      };
      await this.audited(by, name, 'upgrade', detail, async (tx) => {
        if (upload) await this.store.savePackage({ ...upload, plugin: name, version: manifest.version }, tx);
        await this.store.save(
          {
            ...kept,
            version: manifest.version,
            manifest,
            dir,
            checksum,
            schema: migrated.schema,
            migrationsApplied: migrated.migrationsApplied,
            ...(packageSha256 ? { packageSha256 } : {}),
          },
          by.id,
          tx,
        );
      });
    } catch (error) {
      if (staged) this.pluginRuntime?.discard(staged);
      throw error;
    }
    if (record.status === 'enabled')
      await this.swapIn(`plugin ${name} upgraded to ${manifest.version}`, true, staged);
    return toInfo((await this.record(name)) ?? fail(name));
  }

  /**
   * Removes the plugin from the Model and the registry. Its tables and rows stay (installing it
   * again reattaches them) unless `dropData` is set.
   */
  uninstall(name: string, dropData: boolean, by: MetadataActor): Promise<void> {
    return this.serialized(async () => {
      const record = await this.requireInstalled(name);
      await this.checkNoDependents(name, () => true);
      if (dropData) await this.applyChanges(name, dropTablesOf(record.schema));
      await this.audited(by, name, 'uninstall', { version: record.version, dropData }, (tx) =>
        dropData
          ? this.store.delete(name, tx)
          : this.store.save({ ...record, status: 'uninstalled' }, by.id, tx),
      );
      if (record.status === 'enabled') await this.swapIn(`plugin ${name} uninstalled`);
    });
  }

  /** Marks a plugin `error` and takes it out of the Model (repeated hook faults). */
  markFailed(name: string, reason: string): Promise<void> {
    return this.serialized(async () => {
      const record = await this.record(name);
      if (!record || record.status !== 'enabled') return;
      await this.store.save({ ...record, status: 'error', lastError: reason }, record.installedBy);
      await this.swapIn(`plugin ${name} failed: ${reason}`);
    });
  }

  /** Recomposes the Model from the registry tables and swaps it in (extension fields, other instances). */
  rebuild(reason: string, notify = true): Promise<Model> {
    return this.serialized(() => this.swapIn(reason, notify));
  }

  private async swapIn(reason: string, notify = true, staged: PluginInstance | null = null): Promise<Model> {
    const registry = this.registry;
    if (!registry) throw new Error('PluginManager.bind(registry) must be called before changing plugins');
    let model = await this.compose(await this.enabledPlugins(), registry.nextVersion());
    registry.swap(model);
    const failed = await this.syncRuntime(staged);
    if (failed.length > 0) {
      // Plugins whose code no longer loads were marked `error`: serve without them.
      model = await this.compose(await this.enabledPlugins(), registry.nextVersion());
      registry.swap(model);
      reason = `${reason}; ${failed.join(', ')} failed to load`;
      notify = true;
    }
    // The roles the new Model brings (a plugin's, a studio change set's) can be granted at once.
    if (notify) await ensureModelRoleRows(this.options.database.executor(), model);
    if (notify) for (const listener of this.listeners) listener(reason);
    return model;
  }

  /**
   * Makes the running plugin code follow the enabled plugins: code of plugins no longer enabled is
   * detached, `staged` (prepared by the change being made) attached, and enabled plugins whose active
   * code is missing or of another version or checksum (changed by another instance, or at startup)
   * are loaded. Plugins whose code fails to load are marked `error`; their names are returned.
   */
  private async syncRuntime(staged: PluginInstance | null = null): Promise<string[]> {
    const runtime = this.pluginRuntime;
    if (!runtime) return [];
    const enabled = (await this.records()).filter((r) => r.status === 'enabled');
    const wanted = new Set(enabled.map((r) => r.name));
    for (const name of runtime.active().keys()) if (!wanted.has(name)) await runtime.deactivate(name);
    const failed: string[] = [];
    for (const record of enabled) {
      if (staged?.name === record.name) {
        await runtime.activate(staged);
        continue;
      }
      const active = runtime.active().get(record.name);
      if (active && active.checksum === record.checksum && active.manifest.version === record.version)
        continue;
      if (!hasServerCode(record.dir, record.manifest)) {
        await runtime.deactivate(record.name);
        continue;
      }
      try {
        await runtime.activate(await runtime.prepare(codeOf(record)));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        runtime.logger.error(
          { err: error, plugin: record.name },
          `plugin ${record.name} code failed to load`,
        );
        await runtime.deactivate(record.name);
        await this.store.save({ ...record, status: 'error', lastError: reason }, record.installedBy);
        failed.push(record.name);
      }
    }
    return failed;
  }

  /** Loads and registers the plugin's server code without attaching it; null when it has none. */
  private async stageCode(code: PluginCode): Promise<PluginInstance | null> {
    if (!this.pluginRuntime || !hasServerCode(code.dir, code.manifest)) return null;
    try {
      return await this.pluginRuntime.prepare(code);
    } catch (error) {
      if (error instanceof PluginCodeError) throw pluginRejected(code.name, error.message, 'server-code');
      if (error instanceof PluginFaultError || error instanceof PluginTimeoutError)
        throw pluginRejected(code.name, error.message, 'server-register');
      throw error;
    }
  }

  /** Checks the package's signature, then unpacks it; nothing of an unsigned package is unpacked. */
  private async unpack(archive: Buffer, signature: string | undefined) {
    try {
      verifyPackageSignature(archive, signature, this.options.trustedKeys ?? []);
      return await unpackPluginPackage(archive, this.storeRoot);
    } catch (error) {
      if (error instanceof ArchiveRejectedError || error instanceof SignatureRejectedError)
        throw pluginRejected('package', error.message, error.rule);
      throw error;
    }
  }

  /** Writes the registry change and its METADATA_CHANGE audit record in one transaction. */
  private audited(
    actor: MetadataActor,
    name: string,
    operation: string,
    detail: Record<string, unknown>,
    write: (tx: SqlExecutor) => Promise<void>,
  ): Promise<void> {
    return this.options.database.transaction(async (tx) => {
      await write(tx);
      await auditMetadataChange(tx, actor, { entity: 'plugin', recordId: name, operation, detail });
    });
  }

  /** Removes an unpacked package folder no registry row refers to (a refused install or upgrade). */
  private async removeUnused(dir: string): Promise<void> {
    if ((await this.records()).some((r) => r.dir === dir)) return;
    rmSync(dirname(dir), { recursive: true, force: true });
  }

  /**
   * Composes core, the plugins, the extension fields and the studio layer. When the studio layer no
   * longer validates against a newer core or plugin version, the Model is served without it and the
   * conflicts are kept for the studio to report: never silently overwritten, never a failed start.
   */
  private async compose(plugins: ReadonlyMap<string, string>, version: number): Promise<Model> {
    const published = this.options.studio?.current
      ? await this.options.studio.current()
      : { layer: (await this.options.studio?.layer()) ?? emptyLayer(), hash: undefined };
    const studio = published?.layer ?? emptyLayer();
    const sources = {
      roots: this.options.roots,
      plugins,
      extensionFields: await this.extensionFields.activeInputs(),
    };
    try {
      // The publisher validated this layer into a Model of this hash: compiling to it needs no checks.
      const validatedHash = published?.hash;
      const model = this.composer.compose(
        { ...sources, studio, ...(validatedHash ? { validatedHash } : {}) },
        version,
      );
      this.studioLayer = studio;
      this.conflicts = [];
      return model;
    } catch (error) {
      if (
        !(error instanceof MetadataRejectedError) ||
        studio.documents.length + Object.keys(studio.grants).length === 0
      )
        throw error;
      this.studioLayer = emptyLayer();
      this.conflicts = error.diagnostics;
      return this.composer.compose(sources, version);
    }
  }

  /**
   * How many Models this instance served as validated by the instance that published them (the
   * studio version's hash), without validating the metadata again.
   */
  get trustedCompositions(): number {
    return this.composer.trustedCount;
  }

  /** Why the published studio layer is not served (it conflicts with core or plugin metadata); empty when it is. */
  studioConflicts(): readonly Diagnostic[] {
    return this.conflicts;
  }

  /**
   * Composes, without swapping it in, the Model that core, the enabled plugins and the given studio
   * layer and extension fields make (the studio's validation and preview). Throws
   * MetadataRejectedError with every diagnostic when it does not validate.
   */
  async composeWith(studio: StudioLayer, extensionFields: ExtensionFieldInput[]): Promise<Model> {
    return this.composer.compose(
      { roots: this.options.roots, plugins: await this.enabledPlugins(), extensionFields, studio },
      this.registry?.nextVersion() ?? 1,
    );
  }

  /** Loads a studio layer's documents as the compositions do, reusing the documents they parsed. */
  loadLayer(layer: StudioLayer): ReturnType<typeof loadLayer> {
    return loadLayer(layer, this.composer.layers);
  }

  /** The extension fields registered now, as Model input. */
  activeExtensionFields(): Promise<ExtensionFieldInput[]> {
    return this.extensionFields.activeInputs();
  }

  /**
   * Runs a metadata change alone among the manager's own (plugins, extension fields), so no Model is
   * composed from half of it; `swap` recomposes from the registry tables, swaps the Model in and tells
   * the other instances.
   */
  changeExclusively<T>(work: (swap: (reason: string) => Promise<Model>) => Promise<T>): Promise<T> {
    return this.serialized(() => work((reason) => this.swapIn(reason)));
  }

  /** Validates core + the given plugins together; a failure is reported against `name`. */
  private composeFor(name: string, plugins: ReadonlyMap<string, string>): Model {
    try {
      return this.composer.compose(
        { roots: this.options.roots, plugins, studio: this.studioLayer },
        this.registry?.nextVersion() ?? 1,
      );
    } catch (error) {
      if (error instanceof MetadataRejectedError) throw pluginMetadataRejected(name, error.diagnostics);
      throw error;
    }
  }

  /**
   * Migrates the plugin's tables from `previous` to what `model` needs, then runs its hand-written
   * SQL migrations not run yet. If one of those fails, the table changes are undone too.
   */
  private async migrate(
    name: string,
    previous: PluginRecord['schema'],
    model: Model,
    dir: string,
    manifest: PluginManifest,
    applied: readonly string[],
  ): Promise<{ schema: SchemaSnapshot; migrationsApplied: string[] }> {
    const next = toSnapshot(model, { origin: name });
    let changes;
    try {
      changes = diffSnapshots(previous, next);
    } catch (error) {
      if (error instanceof DestructiveChangeError)
        throw pluginRejected(name, error.message, 'destructive-migration');
      throw error;
    }
    const dataSource = this.dataSource;
    let pending;
    try {
      pending = pendingSqlMigrations(
        join(dir, manifest.migrations ?? 'migrations'),
        dialectOf(dataSource),
        applied,
      );
    } catch (error) {
      if (error instanceof SqlMigrationError) throw pluginRejected(name, error.message, 'migration');
      throw error;
    }
    await this.applyChanges(name, changes);
    try {
      const ran = await runSqlMigrations(dataSource, pending);
      return { schema: next, migrationsApplied: [...applied, ...ran] };
    } catch (error) {
      if (!(error instanceof SqlMigrationError)) throw error;
      await applyReversibly(dataSource, inverseChanges(changes));
      throw pluginRejected(name, `${error.message}; the table changes were undone`, 'migration');
    }
  }

  private async applyChanges(name: string, changes: Parameters<typeof applyReversibly>[1]): Promise<void> {
    try {
      await applyReversibly(this.dataSource, changes);
    } catch (error) {
      if (error instanceof SchemaStepError)
        throw pluginRejected(name, `migration ${error.message}; earlier changes were undone`, 'migration');
      throw error;
    }
  }

  private async enabledPlugins(): Promise<Map<string, string>> {
    const records = await this.records();
    return new Map(records.filter((r) => r.status === 'enabled').map((r) => [r.name, r.dir]));
  }

  private async requireInstalled(name: string): Promise<PluginRecord> {
    const record = await this.record(name);
    if (!record || record.status === 'uninstalled') throw pluginNotFound(name);
    return record;
  }

  private async checkRequirements(manifest: PluginManifest): Promise<void> {
    const name = manifest.plugin;
    if (!semver.validRange(manifest.engine) || !semver.satisfies(this.options.engineVersion, manifest.engine))
      throw pluginRejected(
        name,
        `needs engine ${manifest.engine}; this platform is ${this.options.engineVersion}`,
        'engine',
      );
    const records = new Map((await this.records()).map((r) => [r.name, r]));
    for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
      const installed = records.get(dependency);
      if (!installed || installed.status !== 'enabled')
        throw pluginRejected(name, `needs plugin ${dependency} ${range} enabled`, 'dependency');
      if (!semver.satisfies(installed.version, range))
        throw pluginRejected(
          name,
          `needs plugin ${dependency} ${range}; version ${installed.version} is installed`,
          'dependency',
        );
    }
  }

  private async checkNoDependents(name: string, counts: (record: PluginRecord) => boolean): Promise<void> {
    const dependents = (await this.records()).filter(
      (r) => r.status !== 'uninstalled' && counts(r) && r.manifest.dependencies?.[name] !== undefined,
    );
    if (dependents.length > 0)
      throw pluginStateConflict(name, `plugins ${dependents.map((r) => r.name).join(', ')} depend on it`);
  }

  private resolveSource(source: string): string {
    if (isAbsolute(source)) {
      if (existsSync(join(source, 'plugin.yaml'))) return resolve(source);
      throw pluginRejected(basename(source), `no plugin.yaml in ${source}`, 'source');
    }
    if (!/^[a-z][a-z0-9_-]*$/.test(source))
      throw pluginRejected(source, 'a plugin is installed by catalog name or absolute folder path', 'source');
    for (const folder of this.options.catalog) {
      const dir = resolve(folder, source);
      if (existsSync(join(dir, 'plugin.yaml'))) return dir;
    }
    throw pluginRejected(
      source,
      `not found in the plugin catalog (${this.options.catalog.join(', ')})`,
      'source',
    );
  }

  private readManifest(dir: string): PluginManifest {
    try {
      const { manifest } = readPluginFolder(dir);
      if (manifest.plugin !== basename(dir))
        throw pluginRejected(
          manifest.plugin,
          `the folder must be named after the plugin, not ${basename(dir)}`,
          'name',
        );
      return manifest;
    } catch (error) {
      if (error instanceof MetadataRejectedError)
        throw pluginMetadataRejected(basename(dir), error.diagnostics);
      throw error;
    }
  }

  /** The registry rows, each uploaded package unpacked into this instance's store when it is not there yet. */
  private async records(): Promise<PluginRecord[]> {
    return Promise.all((await this.store.list()).map((record) => this.materialise(record)));
  }

  private async record(name: string): Promise<PluginRecord | null> {
    const record = await this.store.find(name);
    return record && this.materialise(record);
  }

  /**
   * Another instance installed this package: its folder is not on this machine, so the package is
   * unpacked here from `ext_plugin_package`. Plugins installed from a folder keep their path.
   */
  private async materialise(record: PluginRecord): Promise<PluginRecord> {
    if (!record.packageSha256 || existsSync(join(record.dir, 'plugin.yaml'))) return record;
    const archive = await this.store.loadPackage(record.packageSha256);
    if (!archive) return record;
    const unpacked = await unpackPluginPackage(archive, this.storeRoot);
    return { ...record, dir: unpacked.dir };
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function toInfo(record: PluginRecord): PluginInfo {
  return {
    name: record.name,
    version: record.version,
    status: record.status,
    checksum: record.checksum,
    engine: record.manifest.engine,
    dependencies: record.manifest.dependencies ?? {},
    installedAt: record.installedAt,
    installedBy: record.installedBy,
    updatedAt: record.updatedAt,
    ...(record.lastError ? { lastError: record.lastError } : {}),
    ...(record.packageSha256 ? { packageSha256: record.packageSha256 } : {}),
  };
}

function codeOf(record: PluginRecord): PluginCode {
  return { name: record.name, manifest: record.manifest, dir: record.dir, checksum: record.checksum };
}

/**
 * Drops a plugin's tables: first every foreign key (the plugin's tables reference each other, and
 * MySQL refuses to drop a table still referenced), then the tables.
 */
function dropTablesOf(schema: SchemaSnapshot): SchemaChange[] {
  const tables = Object.values(schema.tables);
  return [
    ...tables.flatMap((table) =>
      table.foreignKeys.map((foreignKey) => ({
        kind: 'dropForeignKey' as const,
        table: table.name,
        foreignKey,
      })),
    ),
    ...tables.map((table) => ({ kind: 'dropTable' as const, table: { ...table, foreignKeys: [] } })),
  ];
}

function fail(name: string): never {
  throw new Error(`plugin ${name} vanished from ext_plugin while it was being changed`);
}
