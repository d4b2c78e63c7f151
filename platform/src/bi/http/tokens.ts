/** Nest injection token for the AggregateEngine (bi/aggregate-engine.ts). */
export const AGGREGATE_ENGINE = Symbol('AggregateEngine');
