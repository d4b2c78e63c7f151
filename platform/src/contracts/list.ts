/** Types of the list API (`/api/ui/lists/:entity`) the browser app reads; type-only, no runtime code. */
import type { ListDocument } from '../../../metadata/src/lists/list-document';

export type {
  ListColumn,
  ListDocument,
  ListFilter,
  ListView,
} from '../../../metadata/src/lists/list-document';

/** A list definition as `mes generate` writes it: the list and its fingerprint. */
export type ListDefinition = ListDocument & { hash: string };

/** The served list: the live Model's list for the caller; `list` null when the caller's copy is it. */
export interface ServedList {
  entity: string;
  path: string;
  hash: string;
  list: ListDocument | null;
}
