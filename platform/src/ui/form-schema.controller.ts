import { Controller, Get, Inject, Optional, Param, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { formDocument } from '../../../metadata/src/forms/form-document';
import { formDocumentHash } from '../../../metadata/src/forms/form-hash';
import type { ServedForm } from '../contracts/ui';
import { NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { callerView, filterFormSchema } from '../meta/caller-view';
import type { FormOverlayStore } from '../studio/form-overlay-store';
import { FORM_OVERLAYS } from '../studio/tokens';

/**
 * `GET /api/ui/forms/:entity[?base=<hash>]`: an entity's form for the *current* Model, made by the
 * same form mapping as `mes generate`, so a published metadata change reaches the form without a
 * rebuild; fields the caller may not read are left out and those it may not write are disabled.
 * `hash` fingerprints the Model's form before the caller's access is applied. A browser that sends
 * the hash of its generated definition as `base` gets `schema: null` when that definition is exactly
 * the form it would be served, and renders its own copy. The form is layered for the caller's
 * tenant: its extension fields and its studio form overlay.
 */
@Controller('api/ui')
@UseInterceptors(EnvelopeInterceptor)
export class FormSchemaController {
  constructor(
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Optional() @Inject(FORM_OVERLAYS) private readonly overlays: FormOverlayStore | null = null,
  ) {}

  @Get('forms/:entity')
  async form(
    @Param('entity') name: string,
    @Query('base') base: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<ServedForm> {
    const ctx = requestContext(request, this.models);
    const model = ctx.model;
    const entity = model.entities.get(name) ?? model.entitiesByPath.get(name);
    const view = callerView(ctx);
    if (!entity || !view.canSee(entity)) throw new NotFoundError('entity', name);
    const overlays = this.overlays ? await this.overlays.forModel(model.version) : null;
    const overlay = overlays?.get(`${ctx.tenantId}/${entity.name}`);
    const form = formDocument(model, entity, { tenantId: ctx.tenantId, ...(overlay ? { overlay } : {}) });
    const hash = formDocumentHash(form);
    const schema = filterFormSchema(form.schema, entity, view);
    const unchanged = base === hash && JSON.stringify(schema) === JSON.stringify(form.schema);
    return { ...form, hash, schema: unchanged ? null : schema };
  }
}
