/**
 * The fingerprint of a form definition: `mes generate` writes it into each generated form, and the
 * served form compares it with the form of the live Model, so the browser renders its generated
 * definition whenever that is still the form the caller gets.
 */
import { createHash } from 'node:crypto';
import type { FormDocument } from './form-document';

export function formDocumentHash(document: FormDocument): string {
  const { entity, path, label, customRules, schema } = document;
  return createHash('sha256')
    .update(JSON.stringify({ entity, path, label, customRules, schema }))
    .digest('base64url')
    .slice(0, 22);
}
