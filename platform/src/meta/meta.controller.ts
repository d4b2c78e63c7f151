import { Controller, Get, Inject, Param, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EntityList } from '../contracts/meta';
import { NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { requirePermission } from '../security/authorization/access';
import { callerView } from './caller-view';
import { roleAccess, type RoleAccess } from './role-access';
import { entityMeta, entitySummaries, type EntityMeta } from './entity-meta';

/**
 * `GET /api/meta/entities[/:entity]`: the live Model for clients, as far as the caller may see it;
 * `:entity` is a name or a path.
 */
@Controller('api/meta')
@UseInterceptors(EnvelopeInterceptor)
export class MetaController {
  constructor(@Inject(MODEL_REGISTRY) private readonly models: ModelRegistry) {}

  @Get('entities')
  entities(@Req() request: FastifyRequest): EntityList {
    const ctx = requestContext(request, this.models);
    return { modelVersion: ctx.model.version, entities: entitySummaries(ctx.model, callerView(ctx)) };
  }

  @Get('entities/:entity')
  entity(@Param('entity') name: string, @Req() request: FastifyRequest): EntityMeta {
    const ctx = requestContext(request, this.models);
    const entity = ctx.model.entities.get(name) ?? ctx.model.entitiesByPath.get(name);
    const view = callerView(ctx);
    if (!entity || !view.canSee(entity)) throw new NotFoundError('entity', name);
    return entityMeta(ctx.model, entity, ctx.tenantId, view);
  }

  /** `GET /api/meta/roles/:role/access`: what a role document grants, as the engine applies it (needs role:read). */
  @Get('roles/:role/access')
  role(@Param('role') name: string, @Req() request: FastifyRequest): RoleAccess {
    const ctx = requestContext(request, this.models);
    requirePermission(ctx, 'role:read');
    return roleAccess(ctx.model, name);
  }
}
