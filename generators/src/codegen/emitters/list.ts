import { listDocument } from '../../../../metadata/src/lists/list-document';
import { listDocumentHash } from '../../../../metadata/src/lists/list-hash';
import { sourceOf, type EmitContext } from '../context';
import { outputPaths } from '../paths';
import type { DraftFile } from '../types';

/**
 * `ui-runtime/src/generated/lists/<entity>.list.json`: the default list view and the named views, the
 * list the browser app renders (`listDefinition` in ui-runtime/src/api/list-definition.ts) while the
 * live Model serves the same one; its hash is how the server tells.
 */
export function emitLists(ctx: EmitContext): DraftFile[] {
  return ctx.entities.map((entity) => {
    const document = listDocument(ctx.model, entity);
    return {
      path: outputPaths.list(entity),
      source: sourceOf(ctx, 'entity', entity.name),
      entity: entity.name,
      body: ctx.templates.render('ui/list.json', { document, hash: listDocumentHash(document) }),
    };
  });
}
