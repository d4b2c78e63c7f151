/** The two entity helpers of the plugin API that are more than a call into EntityService. */
import type { EntityService } from '../crud/entity.service';
import type { EntityRecord, RequestContext } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import { RowStore, type DbRow } from '../data/row-store';
import { nowForDb } from '../data/values';

const PAGE_SIZE = 500;

export async function listAll(
  service: EntityService,
  entity: string,
  filter: Record<string, unknown>,
  ctx: RequestContext,
): Promise<EntityRecord[]> {
  const records: EntityRecord[] = [];
  let cursor = '';
  for (;;) {
    const query = { filter, sort: 'id', pageSize: String(PAGE_SIZE), cursor, count: 'none' };
    const page = await service.list(entity, service.parseListQuery(entity, query, ctx.model), ctx);
    records.push(...page.items);
    if (!page.nextCursor) return records;
    cursor = page.nextCursor;
  }
}

export async function setSystemFields(
  tx: SqlExecutor,
  ctx: RequestContext,
  entity: string,
  where: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<void> {
  const compiled = ctx.model.entities.get(entity);
  if (!compiled) throw new Error(`Entity ${entity} is not in the Model`);
  const byColumn = (fields: Record<string, unknown>): DbRow => {
    const row: DbRow = {};
    for (const [field, value] of Object.entries(fields)) {
      const column = field === 'id' ? 'id' : compiled.fieldsByName.get(field)?.column;
      if (!column) throw new Error(`Field ${entity}.${field} has no column`);
      row[column] = typeof value === 'boolean' ? Number(value) : value;
    }
    return row;
  };
  await new RowStore(ctx.tenantId).updateWhere(tx, compiled, byColumn(where), {
    ...byColumn(values),
    updated_at: nowForDb(),
    updated_by: ctx.userId,
  });
}
