import type { Provider, Type } from '@nestjs/common';
import { ExtensionAdminController } from '../extensions/extension-admin.controller';
import { ExtensionFieldService } from '../extensions/extension-field.service';
import { EXTENSION_FIELDS } from '../extensions/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { PluginAdminController } from './plugin-admin.controller';
import type { PluginManager } from './plugin-manager';
import { PluginRoutesRegistrar } from './plugin-routes.registrar';
import { PLUGIN_MANAGER } from './tokens';

/** The runtime-extension admin API (plugins, extension fields) and the plugins' own routes; mounted only with a PluginManager. */
export function extensionAdminControllers(plugins: PluginManager | undefined): Type[] {
  return plugins ? [PluginAdminController, ExtensionAdminController] : [];
}

export function extensionAdminProviders(
  plugins: PluginManager | undefined,
  models: ModelRegistry,
): Provider[] {
  if (!plugins) return [];
  return [
    { provide: PLUGIN_MANAGER, useValue: plugins },
    PluginRoutesRegistrar,
    { provide: EXTENSION_FIELDS, useValue: new ExtensionFieldService(plugins.database, plugins, models) },
  ];
}
