export * from './types';
export { compileModel, SYSTEM_COLUMNS } from './compile';
export type { CompileOptions } from './compile';
export { camelCase, snakeCase, entityPath, pluralize, boundedIdentifier } from './naming';
export { parseIdentifierPattern } from './identifier-pattern';
