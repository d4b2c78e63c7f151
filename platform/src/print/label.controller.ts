import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type BwipJs from 'bwip-js/node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../crud/errors';
import { parseId } from '../crud/http/read-options';
import { requestContext } from '../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../crud/http/tokens';
import type { EntityOperations } from '../crud/types';
import type { ModelRegistry } from '../kernel/model-registry';
import { callerView } from '../meta/caller-view';
import { LABEL_SYMBOLOGIES, type LabelSymbology } from './label-symbologies';
import { recordReport } from './record-report';

/**
 * Printing a record. `GET /api/<path>/:id/label?symbology=qr|code128|datamatrix`: a PNG of the record's business key
 * (work order, lot, serial, box, pallet number…) for a label printer, rendered with bwip-js. The
 * record is read through the secured engine, so the caller needs read on it and the row in scope.
 */
@Controller('api')
export class LabelController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  /**
   * `GET /api/<path>/:id/report.pdf`: the record as a printable PDF with its child tables — a work
   * order's traveller, an inspection's report. Relations the caller may read show their names.
   */
  @Get(':path/:id/report.pdf')
  async report(
    @Param('path') path: string,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const ctx = requestContext(request, this.models);
    const entity = ctx.model.entitiesByPath.get(path);
    if (!entity) throw new NotFoundError('entity', path);
    const view = callerView(ctx);
    const expand = entity.fields
      .filter((f) => {
        const target = f.relation ? ctx.model.entities.get(f.relation.target) : undefined;
        return f.storage === 'children' || (target !== undefined && view.canSee(target));
      })
      .map((f) => f.apiName);
    const record = await this.operations.get(entity.name, parseId(id), ctx, { expand });
    const keyField = entity.businessKey ? entity.fieldsByName.get(entity.businessKey) : undefined;
    const code = keyField ? record[keyField.apiName] : undefined;
    const qrCode =
      typeof code === 'string' && code
        ? await barcodes().toBuffer({ bcid: 'qrcode', text: code, scale: 3 })
        : null;
    const pdf = await recordReport({
      model: ctx.model,
      entity,
      record,
      qrCode,
      // pdfkit's standard fonts have no Chinese glyphs: reports print the English labels.
      language: 'en',
      printedBy: ctx.principal.username,
    });
    await reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${entity.path}-${id}.pdf"`)
      .send(pdf);
  }

  @Get(':path/:id/label')
  async label(
    @Param('path') path: string,
    @Param('id') id: string,
    @Query('symbology') symbologyQuery: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const ctx = requestContext(request, this.models);
    const entity = ctx.model.entitiesByPath.get(path);
    if (!entity) throw new NotFoundError('entity', path);
    const symbology = (symbologyQuery ?? 'qr') as LabelSymbology;
    if (!Object.hasOwn(LABEL_SYMBOLOGIES, symbology))
      throw new BadRequestError(`symbology must be one of ${Object.keys(LABEL_SYMBOLOGIES).join(', ')}`, {
        errors: [
          { field: 'symbology', path: '/query/symbology', rule: 'enum', message: 'unknown symbology' },
        ],
      });
    const keyField = entity.businessKey ? entity.fieldsByName.get(entity.businessKey) : undefined;
    if (!keyField) throw new NotFoundError('label', `${entity.name} has no business key to print`);
    const record = await this.operations.get(entity.name, parseId(id), ctx, {
      fields: ['id', keyField.apiName],
    });
    const text = record[keyField.apiName];
    if (typeof text !== 'string' || text === '')
      throw new NotFoundError('label', `${entity.name} ${id} has no ${keyField.name}`);
    const png = await barcodes().toBuffer({
      bcid: LABEL_SYMBOLOGIES[symbology],
      text,
      scale: 3,
      includetext: symbology === 'code128',
      textxalign: 'center',
      ...(symbology === 'code128' ? { height: 12 } : {}),
    });
    await reply
      .header('content-type', 'image/png')
      .header('cache-control', 'private, max-age=300')
      .header('content-disposition', `inline; filename="${text.replace(/[^\w.-]/g, '_')}-${symbology}.png"`)
      .send(png);
  }
}

/** bwip-js (about 8 MB resident) is loaded with the first label or report, not at startup. */
function barcodes(): typeof BwipJs {
  return require('bwip-js/node') as typeof BwipJs;
}
