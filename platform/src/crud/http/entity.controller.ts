/**
 * The one dynamic controller serving every entity of the current Model at `/api/<path>`. It only
 * translates HTTP to EntityOperations calls: resolve the entity by path, build the RequestContext,
 * parse the querystring, and hand the result to the envelope interceptor.
 */
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledEntity } from '../../../../metadata/src/model';
import type { ImportReport } from '../../contracts/crud';
import { MAX_BULK_ROWS } from '../entity.service';
import { BadRequestError, BulkValidationError, NotFoundError } from '../errors';
import type {
  BulkRequest,
  BulkResult,
  EntityOperations,
  EntityRecord,
  ListResult,
  RequestContext,
} from '../types';
import { successEnvelope, type SuccessEnvelope } from './envelope';
import { csvExport, exportPages, xlsxExport } from './export-stream';
import { checkImportRows, toFileRowErrors, toImportRows } from './import-rows';
import { flag, parseId, parseReadOptions } from './read-options';
import { requestContext } from './request-context';
import { CSV_CONTENT_TYPE, readTable, XLSX_CONTENT_TYPE, type TableFormat } from './table-reader';
import type { ModelRegistry } from '../../kernel/model-registry';
import { requirePermission } from '../../security/authorization/access';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from './tokens';

type Query = Record<string, unknown>;

const BULK_MODES: ReadonlySet<BulkRequest['mode']> = new Set(['create', 'update', 'upsert', 'delete']);
type ImportMode = Exclude<BulkRequest['mode'], 'delete'>;
/** An import writes rows; deleting by file is not offered. */
const IMPORT_MODES: ReadonlySet<ImportMode> = new Set(['create', 'update', 'upsert']);

export type { ImportReport };

/**
 * The entity routes. They build the success envelope themselves instead of through the
 * EnvelopeInterceptor: Nest runs every intercepted call through an rxjs pipeline, which cost about
 * 9 % of a get's CPU under load, and these are the platform's hottest routes.
 */
@Controller('api')
export class EntityController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get(':path')
  list(
    @Param('path') path: string,
    @Query() query: Query,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<ListResult>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(
      request,
      this.operations.list(entity.name, this.operations.parseListQuery(entity.name, query, ctx.model), ctx),
    );
  }

  @Get(':path/export')
  async export(
    @Param('path') path: string,
    @Query() query: Query,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    requirePermission(ctx, `${entity.name}:export`);
    const { format = 'csv', ...listParams } = query;
    if (format !== 'csv' && format !== 'xlsx')
      throw new BadRequestError(`format must be csv or xlsx; got '${String(format)}'`);
    const listQuery = this.operations.parseListQuery(entity.name, listParams, ctx.model);
    // Runs the first page before answering so a bad query still gets a 4xx envelope, not a cut stream.
    const pages = exportPages(this.operations, entity, listQuery, ctx);
    const first = await pages.next();
    const all = prepend(first, pages);
    const stream = format === 'csv' ? csvExport(entity, all) : xlsxExport(entity, all);
    const filename = `${entity.path}.${format}`;
    await reply
      .header('content-type', format === 'csv' ? `${CSV_CONTENT_TYPE}; charset=utf-8` : XLSX_CONTENT_TYPE)
      .header('content-disposition', `attachment; filename="${filename}"`)
      .send(stream);
  }

  @Get(':path/by-code/:code')
  getByKey(
    @Param('path') path: string,
    @Param('code') code: string,
    @Query() query: Query,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<EntityRecord>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.getByKey(entity.name, code, ctx, parseReadOptions(query)));
  }

  @Get(':path/:id')
  get(
    @Param('path') path: string,
    @Param('id') id: string,
    @Query() query: Query,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<EntityRecord>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.get(entity.name, parseId(id), ctx, parseReadOptions(query)));
  }

  @Post(':path')
  @HttpCode(201)
  create(
    @Param('path') path: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<EntityRecord>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.create(entity.name, objectBody(body), ctx));
  }

  @Post(':path/bulk')
  @HttpCode(200)
  bulk(
    @Param('path') path: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<BulkResult>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.bulk(entity.name, bulkBody(body), ctx));
  }

  @Post(':path/import')
  @HttpCode(200)
  import(
    @Param('path') path: string,
    @Query() query: Query,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<ImportReport>> {
    return enveloped(request, this.importTable(path, query, body, request));
  }

  private async importTable(
    path: string,
    query: Query,
    body: unknown,
    request: FastifyRequest,
  ): Promise<ImportReport> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    requirePermission(ctx, `${entity.name}:import`);
    const { dryRun: dryRunParam, mode: modeParam = 'create', ...rest } = query;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new BadRequestError(`Unknown query parameter '${unknown}' for import`);
    const dryRun = dryRunParam === undefined ? false : flag(dryRunParam, 'dryRun');
    const mode = bulkMode(modeParam, IMPORT_MODES);
    const format = tableFormat(request.headers['content-type']);
    if (!Buffer.isBuffer(body))
      throw new BadRequestError('Import needs a CSV or XLSX file as the request body');
    const table = await readTable(body, format);
    const { rows, fileRows, errors } = toImportRows(entity, table);
    if (rows.length > MAX_BULK_ROWS)
      throw new BadRequestError(`An import holds at most ${MAX_BULK_ROWS} rows; got ${rows.length}`);
    const allErrors = checkImportRows(ctx.model, entity.name, mode, { rows, fileRows, errors });
    if (dryRun) return { dryRun, rows: rows.length, created: 0, updated: 0, errors: allErrors };
    if (allErrors.length > 0) throw new BulkValidationError(allErrors);
    try {
      const result = await this.operations.bulk(entity.name, { mode, rows }, ctx);
      return { dryRun, rows: rows.length, created: result.created, updated: result.updated, errors: [] };
    } catch (error) {
      if (!(error instanceof BulkValidationError)) throw error;
      throw new BulkValidationError(toFileRowErrors(error.details?.rows ?? [], fileRows));
    }
  }

  @Patch(':path/:id')
  update(
    @Param('path') path: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<EntityRecord>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.update(entity.name, parseId(id), objectBody(body), ctx));
  }

  @Delete(':path/:id')
  remove(
    @Param('path') path: string,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<null>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(
      request,
      this.operations.remove(entity.name, parseId(id), ctx).then(() => null),
    );
  }

  @Post(':path/:id/restore')
  @HttpCode(200)
  restore(
    @Param('path') path: string,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<SuccessEnvelope<EntityRecord>> {
    const ctx = this.context(request);
    const entity = this.entityAt(ctx, path);
    return enveloped(request, this.operations.restore(entity.name, parseId(id), ctx));
  }

  private context(request: FastifyRequest): RequestContext {
    return requestContext(request, this.models);
  }

  /** Owned child entities are reachable only through their parent, never at their own path. */
  private entityAt(ctx: RequestContext, path: string): CompiledEntity {
    const entity = ctx.model.entitiesByPath.get(path);
    if (!entity || entity.owned) throw new NotFoundError('path', `/api/${path}`);
    return entity;
  }
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

function objectBody(body: unknown): EntityRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('The request body must be a JSON object');
  }
  return body as EntityRecord;
}

function bulkBody(body: unknown): BulkRequest {
  const { mode, rows, ...rest } = objectBody(body);
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new BadRequestError(`Unknown property '${unknown}' in bulk request; expected mode and rows`);
  if (
    !Array.isArray(rows) ||
    !rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))
  ) {
    throw new BadRequestError('rows must be an array of objects', {
      errors: [{ field: 'rows', path: '/rows', rule: 'type', message: 'Must be an array of objects' }],
    });
  }
  if (rows.length > MAX_BULK_ROWS) {
    throw new BadRequestError(`A bulk request holds at most ${MAX_BULK_ROWS} rows; got ${rows.length}`, {
      errors: [
        {
          field: 'rows',
          path: '/rows',
          rule: 'maxItems',
          limit: MAX_BULK_ROWS,
          message: `At most ${MAX_BULK_ROWS} rows`,
        },
      ],
    });
  }
  return { mode: bulkMode(mode, BULK_MODES), rows: rows as EntityRecord[] };
}

function bulkMode<M extends BulkRequest['mode']>(mode: unknown, allowed: ReadonlySet<M>): M {
  if (typeof mode === 'string' && allowed.has(mode as M)) return mode as M;
  throw new BadRequestError(`mode must be one of ${[...allowed].join(', ')}; got '${String(mode)}'`, {
    errors: [
      { field: 'mode', path: '/mode', rule: 'enum', limit: [...allowed], message: 'Unknown bulk mode' },
    ],
  });
}

function tableFormat(contentType: string | undefined): TableFormat {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === CSV_CONTENT_TYPE) return 'csv';
  if (type === XLSX_CONTENT_TYPE) return 'xlsx';
  throw new BadRequestError(
    `Import needs Content-Type ${CSV_CONTENT_TYPE} or ${XLSX_CONTENT_TYPE}; got '${contentType ?? ''}'`,
  );
}

async function enveloped<T>(request: FastifyRequest, result: Promise<T>): Promise<SuccessEnvelope<T>> {
  return successEnvelope(await result, request.id);
}
