import { join } from 'node:path';
import { Controller, Get, Inject, Param, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { emitForms } from '../../../generators/src/codegen/emitters/form';
import { TemplateRenderer } from '../../../generators/src/codegen/templates';
import type { MetadataSet } from '../../../metadata/src/types';
import { NotFoundError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { ModelRegistry } from '../kernel/model-registry';
import { callerView, filterFormSchema } from '../meta/caller-view';
import { REPO_ROOT } from './static-app';

const TEMPLATE_DIR = join(REPO_ROOT, 'generators', 'templates');

/** No documents are needed: the form emitter reads the compiled Model; sources only name files. */
const NO_SOURCES: MetadataSet = {
  modules: new Map(),
  entities: new Map(),
  forms: new Map(),
  workflows: new Map(),
  dashboards: new Map(),
  roles: new Map(),
  permissions: new Map(),
  menus: new Map(),
  plugins: new Map(),
  sources: new Map(),
};

/**
 * `GET /api/ui/forms/:entity`: the FormKit schema of an entity's form for the *current* Model, made by
 * the same emitter as `mes generate`, so a published metadata change reaches the form without a rebuild;
 * fields the caller may not read are left out and those it may not write are disabled.
 */
@Controller('api/ui')
@UseInterceptors(EnvelopeInterceptor)
export class FormSchemaController {
  private readonly templates = new TemplateRenderer(TEMPLATE_DIR);

  constructor(@Inject(MODEL_REGISTRY) private readonly models: ModelRegistry) {}

  @Get('forms/:entity')
  form(@Param('entity') name: string, @Req() request: FastifyRequest): unknown {
    const ctx = requestContext(request, this.models);
    const model = ctx.model;
    const entity = model.entities.get(name) ?? model.entitiesByPath.get(name);
    const view = callerView(ctx);
    if (!entity || !view.canSee(entity)) throw new NotFoundError('entity', name);
    const [file] = emitForms({
      root: '.',
      model,
      set: NO_SOURCES,
      templates: this.templates,
      entities: [entity],
    });
    const form = JSON.parse(file.body) as { schema: unknown };
    return { ...form, schema: filterFormSchema(form.schema, entity, view) };
  }
}
