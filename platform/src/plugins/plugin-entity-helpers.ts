/** The two entity helpers of the plugin API that are more than a call into EntityService. */
import type { EntityService } from '../crud/entity.service';
import type { EntityRecord, RequestContext } from '../crud/types';
import type { SqlExecutor } from '../data/database';
import { RowStore, type DbRow } from '../data/row-store';
import { fromDbValue } from '../data/values';
import { engineContext } from '../crud/request-context';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';

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

/**
 * Sets system-maintained fields on the rows matching `where` through the record-change path
 * (`updateIn` in the caller's transaction, as the engine): each row's hooks, audit and outbox see
 * the change. `where` and `values` name metadata fields (or `id`), values as stored. References
 * are the plugin's own (records it just created, possibly committed after this transaction's
 * snapshot began), so they are not checked again.
 */
export async function setSystemFields(
  service: EntityService,
  tx: SqlExecutor,
  ctx: RequestContext,
  entity: string,
  where: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<void> {
  const compiled = ctx.model.entities.get(entity);
  if (!compiled) throw new Error(`Entity ${entity} is not in the Model`);
  const fieldOf = (name: string) => {
    const field = compiled.fieldsByName.get(name);
    if (!field?.column) throw new Error(`Field ${entity}.${name} has no column`);
    return field;
  };
  const conditions: DbRow = {};
  for (const [name, value] of Object.entries(where))
    conditions[name === 'id' ? 'id' : fieldOf(name).column!] =
      typeof value === 'boolean' ? Number(value) : value;
  const fields: EntityRecord = {};
  for (const [name, value] of Object.entries(values)) {
    const field = fieldOf(name);
    fields[apiPropertyOf(field)] = fromDbValue(field.columnType, value);
  }
  const engine = engineContext(ctx);
  for (const id of await new RowStore(ctx.tenantId).idsWhere(tx, compiled, conditions))
    await service.updateIn(tx, entity, id, fields, engine, { checkReferences: false });
}
