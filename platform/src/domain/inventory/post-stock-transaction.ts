import { ValidationError } from '../../crud/errors';
import { EntityWriter } from '../../crud/entity-writer';
import type { HookRegistry } from '../../crud/hooks';
import { serializeRow } from '../../crud/serializer';
import type { EntityRecord, RequestContext } from '../../crud/types';
import { assertValidBody } from '../../crud/validation';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';

/**
 * Posts a stock transaction from another write's transaction (a work order completion receiving its
 * finished goods) the way EntityService.create would, but without a transaction of its own: the body
 * is validated against the metadata, the `before` hooks run, the row is written by the engine's
 * writer and every `inTransaction` hook of `stock_transaction` runs — balances and genealogy
 * (stock-transaction.hooks.ts), the outbox event, the audit record — so the posting commits or rolls
 * back with the caller. Returns the posted record.
 */
export async function postStockTransaction(
  hooks: HookRegistry,
  tx: SqlExecutor,
  ctx: RequestContext,
  body: EntityRecord,
): Promise<EntityRecord> {
  const entity = 'stock_transaction';
  const rt = runtimeOf(ctx.model).entity(entity);
  assertValidBody(rt, body, 'create', ctx.tenantId);
  const input = { ...body };
  await hooks.run('before', { entity, action: 'create', ctx, body: input, current: null, id: null });
  const writer = new EntityWriter(tx, ctx);
  const references = [...(await writer.checkReferences(rt, [input], () => '')).values()].flat();
  if (references.length > 0) throw new ValidationError(references);
  const [id] = await writer.insert(rt, [input]);
  const [row] = await new RowStore(ctx.tenantId).byIds(tx, rt.entity, [id!], true);
  const record = serializeRow(rt, row!, ctx.tenantId);
  await hooks.run('inTransaction', { entity, action: 'create', ctx, tx, record, previous: null });
  return record;
}
