import { pointer, type LoadedDocument } from '../../loader';
import { didYouMean } from '../../suggest';
import type { DashboardDimensions, DashboardGroupBy, DashboardMeasure, EntityDef } from '../../types';
import type { SemanticContext } from './context';
import { requireFieldPath } from './entities';
import { checkExpression } from './expressions';

type At = (...segments: (string | number)[]) => string;

/** Widgets and KPIs read existing entities and fields; their filters parse; roles and KPIs exist. */
export function checkDashboards(ctx: SemanticContext): void {
  const kpis = new Set<string>();
  for (const { def } of ctx.documentsOf('dashboard'))
    for (const name of Object.keys(def.kpis ?? {})) kpis.add(name);
  const declaredKpis = new Set<string>();
  for (const { document, def } of ctx.documentsOf('dashboard')) {
    for (const key of ['roles', 'homeFor'] as const)
      (def[key] ?? []).forEach((role, i) => {
        if (!ctx.isDeclared('role', role)) {
          ctx.report(document, pointer(key, i), 'unknown-role', `role \`${role}\` does not exist`, {
            hint: didYouMean(role, ctx.namesOf('role')),
          });
        }
      });
    for (const [name, kpi] of Object.entries(def.kpis ?? {})) {
      const at: At = (...segments) => pointer('kpis', name, ...segments);
      if (declaredKpis.has(name))
        ctx.report(document, at(), 'dashboard-widget', `KPI \`${name}\` is declared by two dashboards`);
      declaredKpis.add(name);
      const entity = requireEntity(ctx, document, at('entity'), kpi.entity);
      if (!entity) continue;
      for (const [measureName, measure] of Object.entries(kpi.measures))
        checkMeasure(ctx, document, (...s) => at('measures', measureName, ...s), entity, measure);
      const measureNames = Object.keys(kpi.measures);
      const named = [
        ...(kpi.numerator ?? []).map((m, i) => ({ m, path: at('numerator', i) })),
        ...(kpi.denominator ?? []).map((m, i) => ({ m, path: at('denominator', i) })),
        ...(kpi.value ? [{ m: kpi.value, path: at('value') }] : []),
        ...(['good', 'total', 'idealSeconds'] as const).flatMap((part) =>
          (kpi.oee?.[part] ?? []).map((m, i) => ({ m, path: at('oee', part, i) })),
        ),
        ...(['failures', 'operating'] as const).flatMap((part) =>
          (kpi.reliability?.[part] ?? []).map((m, i) => ({ m, path: at('reliability', part, i) })),
        ),
      ];
      for (const { m, path } of named)
        if (!measureNames.includes(m))
          ctx.report(document, path, 'dashboard-field', `measure \`${m}\` is not declared by the KPI`, {
            hint: didYouMean(m, measureNames),
          });
      const kinds = [
        kpi.numerator || kpi.denominator,
        kpi.value,
        kpi.ageing,
        kpi.oee,
        kpi.reliability,
      ].filter(Boolean).length;
      if (kinds !== 1 || (kpi.numerator === undefined) !== (kpi.denominator === undefined))
        ctx.report(
          document,
          at(),
          'dashboard-field',
          'a KPI has either `numerator` and `denominator`, or `value`, or `ageing`, or `oee`, or `reliability`',
        );
      if (kpi.reliability) {
        const reliability = kpi.reliability;
        for (const key of ['start', 'end'] as const)
          if (entity.fields[reliability[key]]?.type !== 'datetime')
            ctx.report(
              document,
              at('reliability', key),
              'dashboard-field',
              `\`${reliability[key]}\` must be a datetime field of \`${kpi.entity}\``,
            );
        for (const part of ['failures', 'operating'] as const)
          reliability[part].forEach((m, i) => {
            const measure = kpi.measures[m];
            if (measure && measure.fn !== 'count')
              ctx.report(
                document,
                at('reliability', part, i),
                'dashboard-field',
                `measure \`${m}\` must count periods (\`fn: count\`)`,
              );
          });
        if (typeof kpi.groupBy === 'object' && kpi.groupBy.bucket !== undefined)
          ctx.report(
            document,
            at('groupBy', 'bucket'),
            'dashboard-field',
            'a reliability KPI groups by a field, not a time bucket',
          );
      }
      if (kpi.oee) {
        const downtime = kpi.oee.downtime;
        if (downtime) {
          const downtimeAt: At = (...segments) => at('oee', 'downtime', ...segments);
          const downtimeEntity = requireEntity(ctx, document, downtimeAt('entity'), downtime.entity);
          if (downtimeEntity) {
            checkMeasure(
              ctx,
              document,
              (...s) => downtimeAt('minutes', ...s),
              downtimeEntity,
              downtime.minutes,
            );
            checkMeasure(
              ctx,
              document,
              (...s) => downtimeAt('failures', ...s),
              downtimeEntity,
              downtime.failures,
            );
            if (downtime.filter)
              checkExpression(ctx, document, downtimeAt('filter'), downtime.filter, downtimeEntity);
            checkDimensions(ctx, document, downtimeAt, downtimeEntity, downtime.dimensions);
          }
        }
        const states = kpi.oee.states;
        if ((downtime === undefined) === (states === undefined))
          ctx.report(
            document,
            at('oee'),
            'dashboard-field',
            'an OEE KPI takes its lost time either from `downtime` rows or from `states` periods',
          );
        if (states) {
          const statesAt: At = (...segments) => at('oee', 'states', ...segments);
          const statesEntity = requireEntity(ctx, document, statesAt('entity'), states.entity);
          if (statesEntity) {
            for (const key of ['start', 'end'] as const)
              if (statesEntity.fields[states[key]]?.type !== 'datetime')
                ctx.report(
                  document,
                  statesAt(key),
                  'dashboard-field',
                  `\`${states[key]}\` must be a datetime field of \`${states.entity}\``,
                );
            for (const key of ['filter', 'failures'] as const) {
              const condition = states[key];
              if (condition) checkExpression(ctx, document, statesAt(key), condition, statesEntity);
            }
            checkDimensions(ctx, document, statesAt, statesEntity, states.dimensions);
          }
        }
        if (
          !kpi.dimensions?.time ||
          !kpi.dimensions.line ||
          (downtime !== undefined && (!downtime.dimensions.time || !downtime.dimensions.line)) ||
          (states !== undefined && !states.dimensions.line)
        )
          ctx.report(
            document,
            at('oee'),
            'dashboard-field',
            'an OEE KPI needs `time` and `line` dimensions for its output and its downtime, and a `line` dimension for its states',
          );
      }
      if (kpi.ageing)
        requireFieldPath(ctx, document, at('ageing', 'field'), entity, kpi.ageing.field, 'dashboard-field');
      if (kpi.filter) checkExpression(ctx, document, at('filter'), kpi.filter, entity);
      checkGroupBy(ctx, document, at, entity, kpi.groupBy);
      checkDimensions(ctx, document, at, entity, kpi.dimensions);
    }
    for (const [name, rollup] of Object.entries(def.rollups ?? {})) {
      const at: At = (...segments) => pointer('rollups', name, ...segments);
      const entity = requireEntity(ctx, document, at('entity'), rollup.entity);
      if (!entity) continue;
      const fieldOf = (field: string, path: string, types: readonly string[], what: string) => {
        const declared = entity.fields[field];
        if (!declared || !types.includes(declared.type))
          ctx.report(
            document,
            path,
            'dashboard-field',
            `rollup ${what} \`${field}\` must be a ${types.join(' or ')} field of \`${rollup.entity}\``,
          );
      };
      fieldOf(rollup.time, at('time'), ['datetime'], 'time');
      rollup.dimensions.forEach((field, i) =>
        fieldOf(
          field,
          at('dimensions', i),
          ['relation', 'enum', 'string', 'boolean', 'integer'],
          'dimension',
        ),
      );
      rollup.sums.forEach((field, i) => fieldOf(field, at('sums', i), ['decimal', 'integer'], 'sum'));
      if (rollup.dayZones) {
        const zones = requireEntity(ctx, document, at('dayZones', 'entity'), rollup.dayZones.entity);
        const declared = zones?.fields[rollup.dayZones.field];
        if (zones && declared?.type !== 'string')
          ctx.report(
            document,
            at('dayZones', 'field'),
            'dashboard-field',
            `rollup day zones \`${rollup.dayZones.field}\` must be a string field of \`${rollup.dayZones.entity}\``,
          );
      }
    }
    const ids = new Set<string>();
    def.widgets.forEach((widget, index) => {
      const at: At = (...segments) => pointer('widgets', index, ...segments);
      if (ids.has(widget.id))
        ctx.report(document, at('id'), 'dashboard-widget', `widget id \`${widget.id}\` is used twice`);
      ids.add(widget.id);
      if (widget.kpi !== undefined) {
        if (!kpis.has(widget.kpi))
          ctx.report(document, at('kpi'), 'dashboard-widget', `KPI \`${widget.kpi}\` is not declared`, {
            hint: didYouMean(widget.kpi, [...kpis]),
          });
        return;
      }
      const entity = requireEntity(ctx, document, at('entity'), widget.entity ?? '');
      if (!entity) return;
      if (widget.measure) checkMeasure(ctx, document, (...s) => at('measure', ...s), entity, widget.measure);
      checkGroupBy(ctx, document, at, entity, widget.groupBy);
      checkGroupBy(ctx, document, at, entity, widget.seriesBy, 'seriesBy');
      const twoWay = widget.type === 'stacked' || widget.type === 'heatmap';
      if (twoWay && (widget.groupBy === undefined || widget.seriesBy === undefined))
        ctx.report(
          document,
          at('type'),
          'dashboard-widget',
          `a \`${widget.type}\` widget groups two ways: it needs \`groupBy\` and \`seriesBy\``,
        );
      if (!twoWay && widget.seriesBy !== undefined)
        ctx.report(
          document,
          at('seriesBy'),
          'dashboard-widget',
          `only \`stacked\` and \`heatmap\` widgets take \`seriesBy\``,
        );
      checkDimensions(ctx, document, at, entity, widget.dimensions);
      (widget.columns ?? []).forEach((column, i) =>
        requireFieldPath(ctx, document, at('columns', i), entity, column, 'dashboard-field'),
      );
      if (widget.filter) checkExpression(ctx, document, at('filter'), widget.filter, entity);
    });
  }
}

function requireEntity(
  ctx: SemanticContext,
  document: LoadedDocument,
  path: string,
  name: string,
): EntityDef | undefined {
  if (!ctx.isDeclared('entity', name)) {
    ctx.report(document, path, 'dashboard-entity', `entity \`${name}\` does not exist`, {
      hint: didYouMean(name, ctx.namesOf('entity')),
    });
    return undefined;
  }
  return ctx.set.entities.get(name);
}

function checkMeasure(
  ctx: SemanticContext,
  document: LoadedDocument,
  at: At,
  entity: EntityDef,
  measure: DashboardMeasure,
): void {
  if (measure.field) requireFieldPath(ctx, document, at('field'), entity, measure.field, 'dashboard-field');
  else if (measure.fn !== 'count')
    ctx.report(document, at(), 'dashboard-field', `measure \`${measure.fn}\` needs a \`field\``);
  if (measure.where) checkExpression(ctx, document, at('where'), measure.where, entity);
  if (measure.times) requireFieldPath(ctx, document, at('times'), entity, measure.times, 'dashboard-field');
  if (measure.minus) requireFieldPath(ctx, document, at('minus'), entity, measure.minus, 'dashboard-field');
}

function checkGroupBy(
  ctx: SemanticContext,
  document: LoadedDocument,
  at: At,
  entity: EntityDef,
  groupBy: DashboardGroupBy | undefined,
  key: 'groupBy' | 'seriesBy' = 'groupBy',
): void {
  if (typeof groupBy === 'string')
    requireFieldPath(ctx, document, at(key), entity, groupBy, 'dashboard-field');
  else if (groupBy)
    requireFieldPath(ctx, document, at(key, 'field'), entity, groupBy.field, 'dashboard-field');
}

function checkDimensions(
  ctx: SemanticContext,
  document: LoadedDocument,
  at: At,
  entity: EntityDef,
  dimensions: DashboardDimensions | undefined,
): void {
  for (const [name, path] of Object.entries(dimensions ?? {}))
    requireFieldPath(ctx, document, at('dimensions', name), entity, path, 'dashboard-field');
}
