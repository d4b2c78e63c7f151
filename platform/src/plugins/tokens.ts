/** Nest injection token for the one PluginManager of the process. */
export const PLUGIN_MANAGER = Symbol('PluginManager');
