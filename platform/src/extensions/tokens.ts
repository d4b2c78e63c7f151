/** Nest injection token for the ExtensionFieldService. */
export const EXTENSION_FIELDS = Symbol('ExtensionFieldService');
