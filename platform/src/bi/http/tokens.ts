/** Nest injection token for the AggregateEngine (bi/aggregate-engine.ts). */
export const AGGREGATE_ENGINE = Symbol('AggregateEngine');
/** Nest injection token for the WidgetCache of the dashboard API (bi/widget-cache.ts). */
export const WIDGET_CACHE = Symbol('WidgetCache');
