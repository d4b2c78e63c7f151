/** Nest injection token for the AppConfig read at startup. */
export const APP_CONFIG = Symbol('AppConfig');
