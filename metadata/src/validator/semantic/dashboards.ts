import { pointer } from '../../loader';
import { didYouMean } from '../../suggest';
import type { SemanticContext } from './context';
import { requireFieldPath } from './entities';
import { checkExpression } from './expressions';

/** Widgets read existing entities and fields; their filters parse; roles exist. */
export function checkDashboards(ctx: SemanticContext): void {
  for (const { document, def } of ctx.documentsOf('dashboard')) {
    (def.roles ?? []).forEach((role, i) => {
      if (!ctx.isDeclared('role', role)) {
        ctx.report(document, pointer('roles', i), 'unknown-role', `role \`${role}\` does not exist`, {
          hint: didYouMean(role, ctx.namesOf('role')),
        });
      }
    });
    const ids = new Set<string>();
    def.widgets.forEach((widget, index) => {
      const at = (...segments: (string | number)[]): string => pointer('widgets', index, ...segments);
      if (ids.has(widget.id))
        ctx.report(document, at('id'), 'dashboard-widget', `widget id \`${widget.id}\` is used twice`);
      ids.add(widget.id);
      if (!ctx.isDeclared('entity', widget.entity)) {
        ctx.report(document, at('entity'), 'dashboard-entity', `entity \`${widget.entity}\` does not exist`, {
          hint: didYouMean(widget.entity, ctx.namesOf('entity')),
        });
        return;
      }
      const entity = ctx.set.entities.get(widget.entity);
      if (!entity) return;
      if (widget.measure?.field)
        requireFieldPath(
          ctx,
          document,
          at('measure', 'field'),
          entity,
          widget.measure.field,
          'dashboard-field',
        );
      if (widget.measure?.where)
        checkExpression(ctx, document, at('measure', 'where'), widget.measure.where, entity);
      if (typeof widget.groupBy === 'string')
        requireFieldPath(ctx, document, at('groupBy'), entity, widget.groupBy, 'dashboard-field');
      else if (widget.groupBy)
        requireFieldPath(
          ctx,
          document,
          at('groupBy', 'field'),
          entity,
          widget.groupBy.field,
          'dashboard-field',
        );
      (widget.columns ?? []).forEach((column, i) =>
        requireFieldPath(ctx, document, at('columns', i), entity, column, 'dashboard-field'),
      );
      if (widget.filter) checkExpression(ctx, document, at('filter'), widget.filter, entity);
      if (
        widget.measure &&
        widget.measure.fn !== 'count' &&
        widget.measure.fn !== 'ratio' &&
        !widget.measure.field
      ) {
        ctx.report(
          document,
          at('measure'),
          'dashboard-field',
          `measure \`${widget.measure.fn}\` needs a \`field\``,
        );
      }
    });
  }
}
