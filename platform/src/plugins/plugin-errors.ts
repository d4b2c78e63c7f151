import type { Diagnostic } from '../../../metadata/src/diagnostic';
import { ApiError } from '../crud/errors';

/**
 * Errors of the plugin admin API. A plugin that cannot be installed (bad metadata, unmet engine or
 * dependency, failing migration) is the plugin's fault, not the server's: 422 with the reason.
 */
export function pluginNotFound(name: string): ApiError {
  return new ApiError('NOT_FOUND', 404, `plugin ${name} is not installed`, { plugin: name });
}

export function pluginStateConflict(name: string, message: string): ApiError {
  return new ApiError('CONFLICT', 409, `plugin ${name}: ${message}`, { plugin: name });
}

export function pluginRejected(name: string, message: string, rule: string): ApiError {
  return new ApiError('BUSINESS_RULE', 422, `plugin ${name}: ${message}`, {
    plugin: name,
    errors: [{ field: 'plugin', path: `/plugins/${name}`, rule, message }],
  });
}

export function pluginMetadataRejected(name: string, diagnostics: readonly Diagnostic[]): ApiError {
  return new ApiError(
    'VALIDATION_FAILED',
    422,
    `plugin ${name}: metadata has ${diagnostics.length} error(s)`,
    {
      plugin: name,
      errors: diagnostics.map((d) => ({
        field: `${d.file}:${d.line}:${d.col}`,
        path: d.path,
        rule: d.rule,
        message: d.message,
      })),
    },
  );
}
