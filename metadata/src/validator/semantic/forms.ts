import type { LoadedDocument } from '../../loader';
import { pointer } from '../../loader';
import { didYouMean } from '../../suggest';
import type { EntityDef, FormFieldRef, FormSection } from '../../types';
import type { SemanticContext } from './context';
import { requireField } from './entities';
import { checkExpression } from './expressions';

function checkSection(
  ctx: SemanticContext,
  document: LoadedDocument,
  base: (string | number)[],
  section: FormSection,
  entity: EntityDef,
): void {
  if (section.visibleWhen)
    checkExpression(ctx, document, pointer(...base, 'visibleWhen'), section.visibleWhen, entity);
  section.fields.forEach((item, index) => {
    const ref: FormFieldRef = typeof item === 'string' ? { field: item } : item;
    const path =
      typeof item === 'string'
        ? pointer(...base, 'fields', index)
        : pointer(...base, 'fields', index, 'field');
    requireField(ctx, document, path, entity, ref.field, 'form-field');
    const at = (key: string): string => pointer(...base, 'fields', index, key);
    if (ref.visibleWhen) checkExpression(ctx, document, at('visibleWhen'), ref.visibleWhen, entity);
    if (ref.requiredWhen) checkExpression(ctx, document, at('requiredWhen'), ref.requiredWhen, entity);
    if (ref.readonlyWhen) checkExpression(ctx, document, at('readonlyWhen'), ref.readonlyWhen, entity);
  });
}

/** Forms edit an existing entity, declare exactly one of sections/tabs, and place only its fields. */
export function checkForms(ctx: SemanticContext): void {
  for (const { document, def } of ctx.documentsOf('form')) {
    if (Boolean(def.sections) === Boolean(def.tabs)) {
      ctx.report(
        document,
        pointer('form'),
        'form-layout',
        `form \`${def.form}\` must declare either \`sections\` or \`tabs\`${def.sections ? ', not both' : ''}`,
        {
          at: 'key',
        },
      );
    }
    if (!ctx.isDeclared('entity', def.entity)) {
      ctx.report(document, pointer('entity'), 'form-entity', `entity \`${def.entity}\` does not exist`, {
        hint: didYouMean(def.entity, ctx.namesOf('entity')),
      });
    }
    const entity = ctx.set.entities.get(def.entity);
    if (!entity) continue;
    (def.sections ?? []).forEach((section, i) =>
      checkSection(ctx, document, ['sections', i], section, entity),
    );
    (def.tabs ?? []).forEach((tab, t) =>
      tab.sections.forEach((section, i) =>
        checkSection(ctx, document, ['tabs', t, 'sections', i], section, entity),
      ),
    );
    for (const [name, override] of Object.entries(def.overrides ?? {})) {
      const path = pointer('overrides', name);
      if (!entity.fields[name]) {
        ctx.report(document, path, 'form-field', `entity \`${entity.entity}\` has no field \`${name}\``, {
          at: 'key',
          hint: didYouMean(name, Object.keys(entity.fields)),
        });
      }
      if (override.visibleWhen)
        checkExpression(ctx, document, `${path}/visibleWhen`, override.visibleWhen, entity);
      if (override.requiredWhen)
        checkExpression(ctx, document, `${path}/requiredWhen`, override.requiredWhen, entity);
      if (override.readonlyWhen)
        checkExpression(ctx, document, `${path}/readonlyWhen`, override.readonlyWhen, entity);
    }
  }
}
