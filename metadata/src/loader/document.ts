import type { DocumentKind } from '../types';
import type { PositionMap } from './position-map';

export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  'module',
  'entity',
  'form',
  'workflow',
  'dashboard',
  'rule',
  'role',
  'permission',
  'menu',
  'plugin',
];

export function isDocumentKind(key: string): key is DocumentKind {
  return (DOCUMENT_KINDS as readonly string[]).includes(key);
}

/** A parsed metadata file: one document, its kind (its first key), and where each value sits. */
export interface LoadedDocument {
  file: string;
  /** `core` or the name of the plugin the file belongs to. */
  origin: string;
  kind: DocumentKind;
  /** The value of the first key (`entity: work_order` → `work_order`); empty when it is not a string. */
  name: string;
  data: Record<string, unknown>;
  positions: PositionMap;
}
