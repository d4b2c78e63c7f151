import { Controller, Get, Inject, Param, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { formDocument } from '../../../metadata/src/forms/form-document';
import { NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { callerView, filterFormSchema } from '../meta/caller-view';

/**
 * `GET /api/ui/forms/:entity`: the FormKit schema of an entity's form for the *current* Model, made by
 * the same form mapping as `mes generate`, so a published metadata change reaches the form without a
 * rebuild; fields the caller may not read are left out and those it may not write are disabled.
 */
@Controller('api/ui')
@UseInterceptors(EnvelopeInterceptor)
export class FormSchemaController {
  constructor(@Inject(MODEL_REGISTRY) private readonly models: ModelRegistry) {}

  @Get('forms/:entity')
  form(@Param('entity') name: string, @Req() request: FastifyRequest): unknown {
    const ctx = requestContext(request, this.models);
    const model = ctx.model;
    const entity = model.entities.get(name) ?? model.entitiesByPath.get(name);
    const view = callerView(ctx);
    if (!entity || !view.canSee(entity)) throw new NotFoundError('entity', name);
    const form = formDocument(model, entity);
    return { ...form, schema: filterFormSchema(form.schema, entity, view) };
  }
}
