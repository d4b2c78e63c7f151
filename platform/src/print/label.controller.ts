import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import bwipjs from 'bwip-js/node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../crud/errors';
import { parseId } from '../crud/http/read-options';
import { requestContext } from '../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../crud/http/tokens';
import type { EntityOperations } from '../crud/types';
import type { ModelRegistry } from '../kernel/model-registry';

/** The symbologies a label may carry: a QR code, a Code 128 bar code, a Data Matrix. */
const SYMBOLOGIES = { qr: 'qrcode', code128: 'code128', datamatrix: 'datamatrix' } as const;
type Symbology = keyof typeof SYMBOLOGIES;

/**
 * `GET /api/<path>/:id/label?symbology=qr|code128|datamatrix`: a PNG of the record's business key
 * (work order, lot, serial, box, pallet number…) for a label printer, rendered with bwip-js. The
 * record is read through the secured engine, so the caller needs read on it and the row in scope.
 */
@Controller('api')
export class LabelController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

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
    const symbology = (symbologyQuery ?? 'qr') as Symbology;
    if (!(symbology in SYMBOLOGIES))
      throw new BadRequestError(`symbology must be one of ${Object.keys(SYMBOLOGIES).join(', ')}`, {
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
    const png = await bwipjs.toBuffer({
      bcid: SYMBOLOGIES[symbology],
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
