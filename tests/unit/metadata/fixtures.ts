import { join, relative } from 'node:path';
import type { Diagnostic } from '../../../metadata/src/diagnostic';
import { validateMetadata, type ValidationResult } from '../../../metadata/src/validator';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'metadata');
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Validates the clean base fixture together with one failing case folder. */
export function validateCase(name: string): ValidationResult {
  return validateMetadata([join(FIXTURES, 'base'), join(FIXTURES, name)]);
}

/** `case/file.yaml:line:col rule message`, the form the expectations are written in. */
export function located(diagnostic: Diagnostic): string {
  return `${relative(FIXTURES, diagnostic.file)}:${diagnostic.line}:${diagnostic.col} ${diagnostic.rule} ${diagnostic.message}`;
}

export function hintOf(diagnostics: readonly Diagnostic[], path: string): string | undefined {
  return diagnostics.find((diagnostic) => diagnostic.path === path)?.hint;
}
