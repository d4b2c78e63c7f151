import type { StudioError } from '../contracts/studio';
import type { FieldError } from '../crud/types';
import { documentKey, type ChangeSetContent } from '../../../metadata/src/studio/layer';

/** Document kinds an analyst may publish; plugins come as packages, never from the studio. */
export const STUDIO_KINDS = [
  'module',
  'entity',
  'form',
  'workflow',
  'menu',
  'permission',
  'role',
  'dashboard',
  'rule',
];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a change set's `content` as sent (JSON), checking its shape: `documents` (metadata documents
 * whose first key names their kind), `grants` (role → permission codes), `extensionFields` and
 * `formOverlays`. Missing parts are empty.
 */
export function parseContent(raw: unknown): { content: ChangeSetContent; errors: StudioError[] } {
  const errors: StudioError[] = [];
  const content: ChangeSetContent = { documents: [], grants: {}, extensionFields: [], formOverlays: [] };
  const fail = (path: string, rule: string, message: string) =>
    errors.push({ document: 'content', path, rule, message });
  if (raw === undefined || raw === null) return { content, errors };
  if (!isObject(raw)) {
    fail('', 'type', 'the content must be an object {documents, grants, extensionFields, formOverlays}');
    return { content, errors };
  }
  for (const key of Object.keys(raw))
    if (!['documents', 'grants', 'extensionFields', 'formOverlays'].includes(key))
      fail(`/${key}`, 'unknown', `unknown part \`${key}\``);
  const list = (key: string): unknown[] => {
    const value = raw[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      fail(`/${key}`, 'type', `${key} must be an array`);
      return [];
    }
    return value;
  };
  list('documents').forEach((document, index) => {
    const key = isObject(document) ? documentKey(document) : null;
    if (!isObject(document) || !key)
      fail(`/documents/${index}`, 'document-kind', 'a document is an object whose first key names its kind');
    else if (!STUDIO_KINDS.includes(key.kind))
      fail(`/documents/${index}`, 'studio-kind', `${key.kind} documents are not published from the studio`);
    else if (!/^[a-z][a-z0-9_:]*$/.test(key.name))
      fail(`/documents/${index}/${key.kind}`, 'pattern', `\`${key.name}\` is not a snake_case name`);
    else content.documents.push(document);
  });
  const grants = raw.grants;
  if (grants !== undefined) {
    if (!isObject(grants)) fail('/grants', 'type', 'grants must map role names to permission codes');
    else
      for (const [role, codes] of Object.entries(grants)) {
        if (!Array.isArray(codes) || codes.some((code) => typeof code !== 'string'))
          fail(`/grants/${role}`, 'type', 'a grant is a list of permission codes');
        else content.grants[role] = codes as string[];
      }
  }
  list('extensionFields').forEach((field, index) => {
    if (
      !isObject(field) ||
      typeof field.entity !== 'string' ||
      typeof field.name !== 'string' ||
      !isObject(field.definition)
    )
      fail(`/extensionFields/${index}`, 'type', 'an extension field is {entity, name, definition}');
    else content.extensionFields.push(field as unknown as ChangeSetContent['extensionFields'][number]);
  });
  list('formOverlays').forEach((overlay, index) => {
    if (!isObject(overlay) || typeof overlay.entity !== 'string' || !isObject(overlay.overlay))
      fail(`/formOverlays/${index}`, 'type', 'a form overlay is {entity, overlay}');
    else content.formOverlays.push(overlay as unknown as ChangeSetContent['formOverlays'][number]);
  });
  return { content, errors };
}

/** Studio errors as the API's field errors (VALIDATION_FAILED), keeping document and position. */
export function toFieldErrors(errors: readonly StudioError[]): FieldError[] {
  return errors.map((error) => ({
    field: error.document,
    path: error.path,
    rule: error.rule,
    message: error.message,
    ...(error.line !== undefined ? { limit: { line: error.line, col: error.col } } : {}),
  }));
}
