import { formDocument, type FormDocument } from '../../../../metadata/src/forms/form-document';
import { formDocumentHash } from '../../../../metadata/src/forms/form-hash';
import { sourceOf, type EmitContext } from '../context';
import { outputPaths } from '../paths';
import type { DraftFile } from '../types';

/**
 * `ui-runtime/src/generated/forms/<entity>.form.json`: the create/edit form as a FormKit schema, the
 * form the browser app renders (`formDefinition` in ui-runtime/src/api/entity-meta.ts) while the live
 * Model serves the same one; its hash is how the server tells.
 */
export function emitForms(ctx: EmitContext): DraftFile[] {
  const forms = ctx.entities.map((entity) => {
    const form = entity.form ? ctx.model.forms.get(entity.form) : undefined;
    return {
      path: outputPaths.form(entity),
      source: form ? sourceOf(ctx, 'form', form.form) : sourceOf(ctx, 'entity', entity.name),
      entity: entity.name,
      body: renderForm(ctx, formDocument(ctx.model, entity)),
    };
  });
  const customRules: DraftFile = {
    path: outputPaths.formKitRules(),
    source: 'generators/templates/ui/formkit-rules.ts.hbs',
    body: ctx.templates.render('ui/formkit-rules.ts', {}),
  };
  return [...forms, customRules];
}

function renderForm(ctx: EmitContext, document: FormDocument): string {
  return ctx.templates.render('ui/form.json', { document, hash: formDocumentHash(document) });
}
