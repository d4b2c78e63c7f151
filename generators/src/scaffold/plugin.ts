import { stringify } from 'yaml';
import type { I18nText, PluginManifest } from '../../../metadata/src/types';
import type { ScaffoldFile } from './entity';

const NAME = /^[a-z][a-z0-9_]*$/;

export interface PluginSpec {
  name: string;
  label: I18nText;
  /** semver range of the platform the plugin supports; default `^<platform version>`. */
  engine: string;
}

const SERVER_ENTRY = `/**
 * Server entry of the plugin. The plugin manager calls \`register\` once when the plugin is enabled;
 * register the plugin's domain hooks and event subscribers on \`api\` here.
 */
export function register(api: unknown): void {
  void api;
}
`;

/** A plugin folder that validates as it is: manifest, metadata/, server/index.ts and migrations/. */
export function scaffoldPlugin(spec: PluginSpec): ScaffoldFile[] {
  if (!NAME.test(spec.name)) throw new Error(`plugin '${spec.name}' must be snake_case (${NAME.source})`);
  const manifest: PluginManifest = {
    plugin: spec.name,
    version: '0.1.0',
    label: spec.label,
    engine: spec.engine,
    database: 'core',
    server: 'server/dist/index.js',
    migrations: 'migrations',
  };
  const dir = `plugins/${spec.name}`;
  return [
    { path: `${dir}/plugin.yaml`, content: stringify(manifest) },
    { path: `${dir}/metadata/entities/.gitkeep`, content: '' },
    { path: `${dir}/server/index.ts`, content: SERVER_ENTRY },
    { path: `${dir}/migrations/.gitkeep`, content: '' },
  ];
}
