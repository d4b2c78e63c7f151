import { relative } from 'node:path';
import pc from 'picocolors';
import type { Diagnostic } from '../../../metadata/src/diagnostic';

/** `file:line:col  error  rule  message`, then the hint indented below. */
export function formatDiagnostic(diagnostic: Diagnostic, cwd: string): string {
  const location = `${relative(cwd, diagnostic.file) || diagnostic.file}:${diagnostic.line}:${diagnostic.col}`;
  const severity = diagnostic.severity === 'error' ? pc.red('error') : pc.yellow('warning');
  const lines = [`${pc.cyan(location)}  ${severity}  ${pc.dim(diagnostic.rule)}  ${diagnostic.message}`];
  if (diagnostic.hint) lines.push(`    ${pc.green('hint:')} ${diagnostic.hint}`);
  return lines.join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function formatSummary(diagnostics: readonly Diagnostic[], documentCount: number): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length === 0) return pc.green(`✔ ${plural(documentCount, 'document')} valid`);
  const files = new Set(diagnostics.map((d) => d.file)).size;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`;
  return `${errors > 0 ? pc.red('✖') : pc.yellow('!')} ${counts} (${plural(documentCount, 'valid document')})`;
}
