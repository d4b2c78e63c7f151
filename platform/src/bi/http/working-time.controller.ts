/**
 * `GET /api/calendars/:id/working-time`: the working time of a calendar between two instants, as the
 * schedule shades the rest and the working-time rules judge a record's times — on each working day the
 * shifts worked that day, on the wall clock of a time zone (a plant's). The caller must be able to read
 * the calendar; the shifts and exception days come with it.
 */
import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CalendarWorkingTime } from '../../contracts/bi';
import { BadRequestError, NotFoundError } from '../../crud/errors';
import { successEnvelope, type SuccessEnvelope } from '../../crud/http/envelope';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { AggregateEngine } from '../aggregate-engine';
import { checkTimeZone } from '../time-zone';
import { workingSpans } from '../working-time';
import { paramError, text } from './shared-filters';
import { AGGREGATE_ENGINE } from './tokens';

/** The longest range one request may ask for. */
const MAX_RANGE_DAYS = 92;
const DAY_MS = 86_400_000;
const QUERY_KEYS = new Set(['from', 'to', 'tz']);

function instant(value: unknown, parameter: string): number {
  const raw = text(value ?? '', parameter);
  const parsed = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(parsed))
    throw new BadRequestError(`${parameter} must be an ISO 8601 instant`, paramError(parameter, 'format'));
  return parsed;
}

@Controller('api/calendars')
export class WorkingTimeController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Optional() @Inject(AGGREGATE_ENGINE) private readonly engine: AggregateEngine | null = null,
  ) {}

  @Get(':id/working-time')
  async workingTime(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<CalendarWorkingTime>> {
    if (!this.engine) throw new NotFoundError('path', '/api/calendars/{id}/working-time');
    for (const key of Object.keys(query))
      if (!QUERY_KEYS.has(key))
        throw new BadRequestError(`Unknown query parameter '${key}'`, paramError(key, 'unknown'));
    if (!/^\d+$/.test(id) || Number(id) < 1)
      throw new BadRequestError('id must be a record id', paramError('id', 'type'));
    const from = instant(query.from, 'from');
    const to = instant(query.to, 'to');
    if (to <= from) throw new BadRequestError('to must be after from', paramError('to', 'after'));
    if (to - from > MAX_RANGE_DAYS * DAY_MS)
      throw new BadRequestError(
        `from and to may be at most ${MAX_RANGE_DAYS} days apart`,
        paramError('to', 'range'),
      );
    const timeZone = query.tz === undefined ? 'UTC' : checkTimeZone(text(query.tz, 'tz'), 'tz');
    const ctx = requestContext(request, this.models);
    // Read as the caller: no read permission or a calendar outside their scope answers 403 or 404.
    await this.operations.get('calendar', Number(id), ctx, { fields: ['id'] });
    const store = this.engine.calendars(ctx);
    const { calendars, shifts } = await store.workingTime();
    const calendar = calendars.find((c) => c.id === Number(id));
    // An inactive calendar plans no working time limits: the whole range works.
    const spans = calendar
      ? workingSpans(calendar, calendars, shifts, timeZone, from, to)
      : [{ start: from, end: to }];
    const iso = (ms: number) => new Date(ms).toISOString();
    return successEnvelope(
      {
        calendar: Number(id),
        timeZone,
        from: iso(from),
        to: iso(to),
        working: spans.map((span) => ({ start: iso(span.start), end: iso(span.end) })),
      },
      request.id,
    );
  }
}
