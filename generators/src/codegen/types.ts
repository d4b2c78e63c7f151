/** One file the generators emit, before it is compared with what is on disk. */
export interface GeneratedFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  /** Final content: header included, formatted. */
  content: string;
  /** Metadata file the output came from, relative to the repository root (shown in the header). */
  source: string;
  /** Entity the output belongs to; absent for outputs shared by several entities (module, client index). */
  entity?: string;
}

/** An output before its header is added and it is formatted. */
export type DraftFile = Omit<GeneratedFile, 'content'> & { body: string };
