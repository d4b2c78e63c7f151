/** Types of the plugin administration API (`/api/admin/plugins`) the browser app reads; type-only, no runtime code. */
import type { PluginManifest } from '../../../metadata/src/types';

/**
 * Lifecycle states of a plugin row in `ext_plugin`. `uninstalled` keeps the row (and the tables)
 * after an uninstall without dropping data, so installing again reattaches the data.
 */
export type PluginStatus = 'installed' | 'enabled' | 'disabled' | 'error' | 'uninstalled';

/** The view of a plugin the admin API answers with. */
export interface PluginInfo {
  name: string;
  version: string;
  status: PluginStatus;
  checksum: string;
  engine: string;
  dependencies: Record<string, string>;
  installedAt: string;
  installedBy: string | null;
  updatedAt: string;
  lastError?: string;
  /** sha256 of the `.tgz` it was installed or upgraded from. */
  packageSha256?: string;
}

/** A plugin the catalog offers: what its manifest says. */
export interface CatalogPlugin {
  name: string;
  version: string;
  label: PluginManifest['label'];
  description: PluginManifest['description'] | null;
  dependencies: Record<string, string>;
}
