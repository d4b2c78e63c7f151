import type { RequestContext, SqlExecutor } from '../../../platform/src/plugins/plugin-api';
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

export const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the engine's stored datetime form. */
export function dbDateTime(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

/** Today's date (UTC) as `YYYY-MM-DD`. */
export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Quoted table and column names of an entity in the Model, for SQL on the plugin's own tables. */
export function sqlNames(
  tx: SqlExecutor,
  ctx: RequestContext,
  entity: string,
): { table: string; column: (field: string) => string } {
  const compiled = ctx.model.entities.get(entity);
  if (!compiled) throw new Error(`Entity ${entity} is not in the Model`);
  const q = tx.dialect.quote;
  return {
    table: q(compiled.table),
    column: (field) => {
      const column = compiled.fieldsByName.get(field)?.column;
      if (!column) throw new Error(`Field ${entity}.${field} has no column`);
      return q(column);
    },
  };
}
