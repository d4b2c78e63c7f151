import { BusinessRuleError } from '../../crud/errors';
import type { RecordChanges } from '../../crud/hooks';
import { engineContext } from '../../crud/request-context';
import { serializeRow } from '../../crud/serializer';
import type { EntityRecord, RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { RowStore } from '../../data/row-store';
import { createEnvelope } from '../../events/envelope';
import { writeOutbox } from '../../events/outbox';
import { runtimeOf } from '../../kernel/model-runtime';

/** The transaction a quality rule reads in, and the request it serves. */
export interface QualityRead {
  tx: SqlExecutor;
  ctx: RequestContext;
}

/**
 * The transaction a quality rule writes in and who it acts for. Records the rules create or change
 * (NCRs, holds, scrap movements) go through the record-change path: their hooks run, and they get
 * the audit record and outbox event an API write would, in that transaction.
 */
export interface QualityWrite extends QualityRead {
  actorId: string;
  /** The record-change path the rules create and change records through. */
  records: RecordChanges;
}

/** The column of a metadata field, quoted for the statement's dialect. */
export function column(write: QualityRead, entity: string, field: string): string {
  const compiled = write.ctx.model.entities.get(entity)?.fieldsByName.get(field);
  if (!compiled?.column) throw new Error(`${entity}.${field} has no column`);
  return write.tx.dialect.quote(compiled.column);
}

export function table(write: QualityRead, entity: string): string {
  return write.tx.dialect.quote(runtimeOf(write.ctx.model).entity(entity).entity.table);
}

/** A live record in API shape, read in the transaction; null when it does not exist in the tenant. */
export async function readRecord(
  write: QualityRead,
  entity: string,
  id: number,
): Promise<EntityRecord | null> {
  const rt = runtimeOf(write.ctx.model).entity(entity);
  const [row] = await new RowStore(write.ctx.tenantId).byIds(write.tx, rt.entity, [id], true);
  return row ? serializeRow(rt, row, write.ctx.tenantId) : null;
}

/** Ids of the tenant's live rows of an entity whose fields (metadata names) equal `equals`, in id order. */
export async function findIds(
  write: QualityRead,
  entity: string,
  equals: Record<string, unknown>,
): Promise<number[]> {
  const compiled = runtimeOf(write.ctx.model).entity(entity).entity;
  const columns = Object.fromEntries(
    Object.entries(equals).map(([field, value]) => {
      const name = compiled.fieldsByName.get(field)?.column;
      if (!name) throw new Error(`${entity}.${field} has no column`);
      return [name, value];
    }),
  );
  return new RowStore(write.ctx.tenantId).idsWhere(write.tx, compiled, columns);
}

/**
 * Creates a record (API names) through the record-change path, so its hooks, audit record and
 * `created` event are written as for an API write; the event's payload is the record or what
 * `payloadOf` makes of it (a catalog-shaped payload).
 */
export async function createRecord(
  write: QualityWrite,
  entity: string,
  body: EntityRecord,
  payloadOf?: (record: EntityRecord) => Record<string, unknown>,
): Promise<EntityRecord> {
  return write.records.createIn(write.tx, entity, body, ruleContext(write), { announce: payloadOf });
}

/**
 * Applies a patch (API names) through the record-change path; returns the record after it.
 * `announce: false` leaves the `<entity>.updated` event out when the caller emits its own.
 */
export async function updateRecord(
  write: QualityWrite,
  entity: string,
  id: number,
  patch: EntityRecord,
  announce = true,
): Promise<EntityRecord> {
  const options = announce ? {} : { announce: false as const };
  return write.records.updateIn(write.tx, entity, id, patch, ruleContext(write), options);
}

/** The rules change records on the actor's behalf: the caller's own row and field rules do not bind them. */
function ruleContext(write: QualityWrite): RequestContext {
  return engineContext(write.ctx, write.actorId);
}

/** Writes one event to the outbox in the write's transaction. */
export async function emit(
  write: QualityWrite,
  type: string,
  entity: string,
  entityId: number,
  payload: Record<string, unknown>,
): Promise<void> {
  await writeOutbox(write.tx, write.ctx.model, [
    createEnvelope({
      type,
      tenant: write.ctx.tenantId,
      actor: write.actorId,
      traceId: write.ctx.traceId,
      entity,
      entityId,
      payload,
    }),
  ]);
}

/**
 * A refusal by a quality rule: 422 BUSINESS_RULE whose `errors` entry names the rule, the field and
 * its path (the HTTP error body carries `errors`), with `detail` for in-process callers.
 */
export function ruleViolation(
  rule: string,
  message: string,
  at: { field?: string; path?: string } = {},
  detail: Record<string, unknown> = {},
): BusinessRuleError {
  const field = at.field ?? '';
  const path = at.path ?? (field ? `/${field}` : '');
  return new BusinessRuleError(message, { rule, ...detail, errors: [{ field, path, rule, message }] });
}
