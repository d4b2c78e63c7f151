import { Controller, Get, Inject, Param, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { listDocument } from '../../../metadata/src/lists/list-document';
import { listDocumentHash } from '../../../metadata/src/lists/list-hash';
import type { ServedList } from '../contracts/list';
import { NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { callerView, filterListDocument } from '../meta/caller-view';

/**
 * `GET /api/ui/lists/:entity[?base=<hash>]`: an entity's list definition for the *current* Model,
 * made by the same list mapping as `mes generate`, so a published metadata change reaches the list
 * screen without a rebuild; columns, filters, search fields and sort terms of fields the caller may
 * not read are left out. `hash` fingerprints the Model's list before the caller's access is applied.
 * A browser that sends the hash of its generated definition as `base` gets `list: null` when that
 * definition is exactly the list it would be served, and uses its own copy.
 */
@Controller('api/ui')
@UseInterceptors(EnvelopeInterceptor)
export class ListSchemaController {
  constructor(@Inject(MODEL_REGISTRY) private readonly models: ModelRegistry) {}

  @Get('lists/:entity')
  list(
    @Param('entity') name: string,
    @Query('base') base: string | undefined,
    @Req() request: FastifyRequest,
  ): ServedList {
    const ctx = requestContext(request, this.models);
    const model = ctx.model;
    const entity = model.entities.get(name) ?? model.entitiesByPath.get(name);
    const view = callerView(ctx);
    if (!entity || !view.canSee(entity)) throw new NotFoundError('entity', name);
    const document = listDocument(model, entity);
    const hash = listDocumentHash(document);
    const visible = filterListDocument(document, entity, view);
    const unchanged = base === hash && JSON.stringify(visible) === JSON.stringify(document);
    return { entity: entity.name, path: entity.path, hash, list: unchanged ? null : visible };
  }
}
