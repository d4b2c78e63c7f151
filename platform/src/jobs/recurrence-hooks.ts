/**
 * Records that are recurring schedules: an entity declaring `recurrence` in its metadata (the
 * scheduled `job`, or any other) has its cron expression and time zone checked on every create and
 * update (422 naming the field), its handler field checked against the job handler registry, and
 * its next-run field moved to the next occurrence in the same write whenever the schedule or the
 * active state changes (emptied while inactive). One `before` hook on every entity serves them all;
 * which entities it acts on is read from the Model of the write, so a recurring entity added by a
 * plugin or a publish needs no code.
 *
 * The next run is stored with the record, so every instance's scheduler reads it at its next poll:
 * a change made on one instance reschedules on all of them without a message between them.
 */
import type { CompiledEntity } from '../../../metadata/src/model/types';
import type { RecurrenceDef } from '../../../metadata/src/types';
import { ValidationError } from '../crud/errors';
import type { BeforeHookArgs, HookRegistry } from '../crud/hooks';
import type { EntityRecord, FieldError } from '../crud/types';
import { parseCron, type CronExpression } from './cron';
import type { JobHandlers } from './job-handlers';

export interface RecurrenceOptions {
  handlers: JobHandlers;
  /** Now, in ms since the epoch (the scheduler's clock). */
  clock: () => number;
}

/** The record's cron read in its time zone; 6 fields take seconds first. Throws naming what is wrong. */
export function recurrenceOf(
  entity: CompiledEntity,
  recurrence: RecurrenceDef,
  record: EntityRecord,
): CronExpression {
  const value = (name: string | undefined) =>
    name === undefined ? undefined : record[entity.fieldsByName.get(name)?.apiName ?? name];
  return storedCron(value(recurrence.cron), value(recurrence.timezone));
}

/** A stored cron expression read in its stored time zone (UTC when empty); 6 fields take seconds first. */
export function storedCron(expression: unknown, zone: unknown): CronExpression {
  return parseCron(String(expression ?? ''), {
    seconds: true,
    timezone: typeof zone === 'string' && zone ? zone : 'UTC',
  });
}

/** Whether the record's schedule runs: its active field holds one of the active values (or none is declared). */
export function recurrenceActive(
  entity: CompiledEntity,
  recurrence: RecurrenceDef,
  record: EntityRecord,
): boolean {
  if (!recurrence.active) return true;
  const field = entity.fieldsByName.get(recurrence.active.field);
  const declared = field?.def && 'default' in field.def ? field.def.default : undefined;
  const value = record[field?.apiName ?? recurrence.active.field] ?? declared ?? null;
  return value !== null && recurrence.active.values.includes(String(value));
}

/** Registers the check and rescheduling of every recurring entity's records; returns its remover. */
export function registerRecurrenceHooks(hooks: HookRegistry, options: RecurrenceOptions): () => void {
  return hooks.on('before', { entity: '*', action: '*' }, (args) => {
    if (args.action !== 'create' && args.action !== 'update') return;
    const entity = args.ctx.model.entities.get(args.entity);
    if (!entity?.recurrence) return;
    reschedule(args, entity, entity.recurrence, options);
  });
}

function reschedule(
  args: BeforeHookArgs,
  entity: CompiledEntity,
  recurrence: RecurrenceDef,
  { handlers, clock }: RecurrenceOptions,
): void {
  const api = (name: string) => entity.fieldsByName.get(name)?.apiName ?? name;
  const body = args.body;
  const merged = { ...(args.current ?? {}), ...body } as EntityRecord;
  // A form sends every field: only a value that differs from the stored one counts as a change.
  const changed = (name: string | undefined) =>
    name !== undefined &&
    (args.action === 'create' ||
      (api(name) in body && String(body[api(name)] ?? '') !== String(args.current?.[api(name)] ?? '')));
  const errors: FieldError[] = [];
  if (recurrence.handler && (args.action === 'create' || api(recurrence.handler) in body)) {
    const field = api(recurrence.handler);
    const handler = String(merged[field] ?? '');
    if (!handlers.get(handler))
      errors.push({
        field,
        path: `/${field}`,
        rule: 'handler',
        limit: handlers.names(),
        message: `no job handler '${handler}' is registered (known: ${handlers.names().join(', ')})`,
      });
  }
  const schedule = changed(recurrence.cron) || changed(recurrence.timezone);
  const state = changed(recurrence.active?.field);
  let cron: CronExpression | null = null;
  if (schedule || state) {
    try {
      cron = recurrenceOf(entity, recurrence, merged);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const zone = text.startsWith('time zone') && recurrence.timezone !== undefined;
      const field = api(zone ? recurrence.timezone! : recurrence.cron);
      if (schedule)
        errors.push({ field, path: `/${field}`, rule: zone ? 'timezone' : 'cron', message: text });
    }
    if (schedule && cron && !cron.nextRun(new Date(clock()))) {
      const field = api(recurrence.cron);
      errors.push({
        field,
        path: `/${field}`,
        rule: 'cron',
        message: `cron '${String(merged[field])}' never matches a future time`,
      });
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
  if (!schedule && !state) return;
  const next = recurrenceActive(entity, recurrence, merged) && cron ? cron.nextRun(new Date(clock())) : null;
  body[api(recurrence.nextRun)] = next ? next.toISOString() : null;
}
