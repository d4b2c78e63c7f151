import type { KeyObject } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { parseTrustedKeys } from './plugin-signature';

/** Plugin runtime settings from the environment (docs/plugins.md). */
export interface PluginSettings {
  /** PLUGIN_STORE_DIR: unpacked packages and prepared code; default `<project>/data/plugins`. */
  storeRoot: string;
  /** PLUGIN_HOOK_TIMEOUT_MS: time limit of a hook, route, subscriber or register(); default 5000. */
  hookTimeoutMs: number;
  /** PLUGIN_JOB_TIMEOUT_MS: time limit of a scheduled job run; default 60000. */
  jobTimeoutMs: number;
  /** PLUGIN_MAX_FAULTS: faults in a row that mark a plugin `error`; default 3. */
  maxFaults: number;
  /** PLUGIN_UPLOAD_LIMIT: largest `.tgz` accepted by POST /api/admin/plugins, bytes; default 20 MiB. */
  uploadLimit: number;
  /**
   * MES_PLUGIN_UPLOADS (`on`/`off`): whether POST /api/admin/plugins accepts package uploads; default
   * off when NODE_ENV=production, on otherwise.
   */
  uploads: boolean;
  /** MES_PLUGIN_TRUSTED_KEYS: Ed25519 public keys an uploaded package must be signed by; none = unsigned allowed. */
  trustedKeys: KeyObject[];
}

export function pluginSettings(env: NodeJS.ProcessEnv, projectRoot: string): PluginSettings {
  const store = env.PLUGIN_STORE_DIR?.trim();
  return {
    storeRoot: store
      ? isAbsolute(store)
        ? store
        : resolve(projectRoot, store)
      : join(projectRoot, 'data', 'plugins'),
    hookTimeoutMs: positiveInteger(env, 'PLUGIN_HOOK_TIMEOUT_MS', 5000),
    jobTimeoutMs: positiveInteger(env, 'PLUGIN_JOB_TIMEOUT_MS', 60_000),
    maxFaults: positiveInteger(env, 'PLUGIN_MAX_FAULTS', 3),
    uploadLimit: positiveInteger(env, 'PLUGIN_UPLOAD_LIMIT', 20 * 1024 * 1024),
    uploads: onOff(env, 'MES_PLUGIN_UPLOADS', env.NODE_ENV !== 'production'),
    trustedKeys: parseTrustedKeys(env.MES_PLUGIN_TRUSTED_KEYS ?? '', projectRoot),
  };
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new Error(`${name} must be on or off; got '${env[name]}'`);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer; got '${raw}'`);
  return value;
}
