/** One problem found in a metadata file, located precisely enough to jump to it. */
export interface Diagnostic {
  file: string;
  /** 1-based line and column. */
  line: number;
  col: number;
  /** JSON pointer of the offending value inside the document (`/fields/status/values/2`). */
  path: string;
  /** The rule broken: a JSON Schema keyword (`required`, `type`…) or a rule id of RULES (metadata/src/rules.ts). */
  rule: string;
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
}

export function countErrors(diagnostics: readonly Diagnostic[]): number {
  return diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
}

/** Stable order for output and tests: by file, then position. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.rule.localeCompare(b.rule),
  );
}
