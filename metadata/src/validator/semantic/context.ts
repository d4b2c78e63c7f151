import type { RuleId } from '../../rules';
import { relative } from 'node:path';
import type { Diagnostic } from '../../diagnostic';
import type { LoadedDocument } from '../../loader';
import type { DocumentKind, MetadataSet } from '../../types';
import type { KindDefinitions } from '../resolve';

export interface TypedDocument<K extends DocumentKind> {
  document: LoadedDocument;
  def: KindDefinitions[K];
}

export interface ReportOptions {
  hint?: string;
  /** Point at the key rather than the value (for names and missing things). */
  at?: 'value' | 'key';
  /** Point inside the string value, this many characters from its start (expression errors). */
  offset?: number;
  /** A warning does not fail validation. */
  severity?: 'error' | 'warning';
}

/** What every semantic check reads (the resolved set, the documents) and where it reports. */
export class SemanticContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly set: MetadataSet,
    /** Documents that passed their meta-schema, in load order (duplicates included). */
    readonly documents: readonly LoadedDocument[],
    /** Names of every loaded document by kind, valid or not, so a broken target is not also "missing". */
    private readonly declared: ReadonlyMap<DocumentKind, ReadonlySet<string>>,
  ) {}

  documentsOf<K extends DocumentKind>(kind: K): TypedDocument<K>[] {
    return this.documents
      .filter((document) => document.kind === kind)
      .map((document) => ({ document, def: document.data as unknown as KindDefinitions[K] }));
  }

  isDeclared(kind: DocumentKind, name: string): boolean {
    return this.declared.get(kind)?.has(name) ?? false;
  }

  namesOf(kind: DocumentKind): string[] {
    return [...(this.declared.get(kind) ?? [])];
  }

  report(
    document: LoadedDocument,
    path: string,
    rule: RuleId,
    message: string,
    options: ReportOptions = {},
  ): void {
    const { line, col } =
      options.offset === undefined
        ? document.positions.locate(path, options.at ?? 'value')
        : document.positions.locateInValue(path, options.offset);
    this.diagnostics.push({
      file: document.file,
      line,
      col,
      path,
      rule,
      message,
      ...(options.hint ? { hint: options.hint } : {}),
      severity: options.severity ?? 'error',
    });
  }

  /** `file:line` of a value, for messages naming another location. */
  where(document: LoadedDocument, path: string): string {
    const { line, col } = document.positions.locate(path, 'key');
    return `${relative(process.cwd(), document.file)}:${line}:${col}`;
  }
}
