/**
 * The fingerprint of a list definition: `mes generate` writes it into each generated list, and the
 * served list compares it with the list of the live Model, so the browser uses its generated
 * definition whenever that is still the list the caller gets.
 */
import { createHash } from 'node:crypto';
import type { ListDocument } from './list-document';

export function listDocumentHash(document: ListDocument): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 22);
}
