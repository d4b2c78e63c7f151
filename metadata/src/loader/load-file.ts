import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { Diagnostic } from '../diagnostic';
import type { RuleId } from '../rules';
import { didYouMean } from '../suggest';
import { DOCUMENT_KINDS, isDocumentKind, type LoadedDocument } from './document';
import { pointer } from './json-pointer';
import { PositionMap } from './position-map';

export interface FileLoadResult {
  document?: LoadedDocument;
  diagnostics: Diagnostic[];
}

/** The yaml library appends a code excerpt to its messages; diagnostics carry the position instead. */
function firstSentence(error: YAMLError): string {
  return error.message.split(/ at line \d+, column \d+/)[0].split('\n')[0];
}

function syntaxDiagnostic(file: string, error: YAMLError): Diagnostic {
  const position = error.linePos?.[0] ?? { line: 1, col: 1 };
  return {
    file,
    line: position.line,
    col: position.col,
    path: '',
    rule: 'yaml-syntax',
    message: `${firstSentence(error)} (${error.code})`,
    severity: 'error',
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one `.yaml`, `.yml` or `.json` file (JSON is read by the YAML parser, which keeps positions). */
export function loadFile(file: string, origin: string): FileLoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const message = `cannot read file: ${(error as Error).message}`;
    return {
      diagnostics: [{ file, line: 1, col: 1, path: '', rule: 'file-read', message, severity: 'error' }],
    };
  }
  return loadText(file, origin, text);
}

/**
 * Parses one document held in memory (metadata published from the Metadata Studio); `file` names it
 * in diagnostics.
 */
export function loadText(file: string, origin: string, text: string): FileLoadResult {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (parsed.errors.length > 0)
    return { diagnostics: parsed.errors.map((error) => syntaxDiagnostic(file, error)) };

  const positions = new PositionMap(parsed.contents, lineCounter);
  const data: unknown = parsed.toJS();
  const at = (path: string, rule: RuleId, message: string, hint?: string): FileLoadResult => {
    const { line, col } = positions.locate(path, 'key');
    return { diagnostics: [{ file, line, col, path, rule, message, hint, severity: 'error' }] };
  };
  if (!isPlainObject(data) || Object.keys(data).length === 0) {
    return at('', 'document-shape', 'a metadata file must hold one mapping whose first key names its kind');
  }
  const kindKey = Object.keys(data)[0];
  if (!isDocumentKind(kindKey)) {
    return at(
      pointer(kindKey),
      'document-kind',
      `unknown document kind \`${kindKey}\`; the first key must be one of: ${DOCUMENT_KINDS.join(', ')}`,
      didYouMean(kindKey, DOCUMENT_KINDS),
    );
  }
  const name = typeof data[kindKey] === 'string' ? data[kindKey] : '';
  return { document: { file, origin, kind: kindKey, name, data, positions }, diagnostics: [] };
}
