/**
 * Names an analyst gives in the Metadata Studio become table and column names on MySQL and SQLite:
 * SQL reserved words are refused before they reach the database.
 */
import type { Diagnostic } from '../diagnostic';
import { pointer, type LoadedDocument } from '../loader';

/** Words reserved by MySQL or SQLite that a table or column name would collide with. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'add',
  'all',
  'alter',
  'and',
  'as',
  'asc',
  'between',
  'both',
  'by',
  'case',
  'check',
  'collate',
  'column',
  'commit',
  'condition',
  'constraint',
  'create',
  'cross',
  'current_date',
  'current_time',
  'current_timestamp',
  'database',
  'default',
  'delete',
  'desc',
  'distinct',
  'div',
  'drop',
  'else',
  'end',
  'escape',
  'except',
  'exists',
  'fetch',
  'for',
  'foreign',
  'from',
  'full',
  'function',
  'grant',
  'group',
  'having',
  'if',
  'in',
  'index',
  'inner',
  'insert',
  'intersect',
  'interval',
  'into',
  'is',
  'join',
  'key',
  'leading',
  'left',
  'like',
  'limit',
  'lock',
  'match',
  'mod',
  'natural',
  'not',
  'null',
  'of',
  'offset',
  'on',
  'or',
  'order',
  'outer',
  'over',
  'partition',
  'primary',
  'procedure',
  'range',
  'rank',
  'read',
  'recursive',
  'references',
  'release',
  'rename',
  'replace',
  'return',
  'revoke',
  'right',
  'rollback',
  'row',
  'rows',
  'schema',
  'select',
  'set',
  'table',
  'then',
  'to',
  'trailing',
  'transaction',
  'trigger',
  'union',
  'unique',
  'update',
  'usage',
  'using',
  'values',
  'when',
  'where',
  'window',
  'with',
  'write',
]);

export function isReservedWord(name: string): boolean {
  return RESERVED_WORDS.has(name.toLowerCase());
}

/** Entity and field names of studio documents that are reserved words (rule `reserved-word`). */
export function reservedWordDiagnostics(documents: readonly LoadedDocument[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (document: LoadedDocument, path: string, name: string, what: string) => {
    const { line, col } = document.positions.locate(path, 'key');
    found.push({
      file: document.file,
      line,
      col,
      path,
      rule: 'reserved-word',
      message: `${what} \`${name}\` is an SQL reserved word; choose another name`,
      severity: 'error',
    });
  };
  for (const document of documents) {
    if (document.kind !== 'entity') continue;
    if (isReservedWord(document.name)) report(document, pointer('entity'), document.name, 'entity name');
    const fields = document.data.fields;
    if (typeof fields !== 'object' || fields === null) continue;
    for (const name of Object.keys(fields))
      if (isReservedWord(name)) report(document, pointer('fields', name), name, 'field name');
  }
  return found;
}
