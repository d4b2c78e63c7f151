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
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { actorOf, requireMetadataPublisher } from '../plugins/admin-access';
import type { MetadataActor } from '../plugins/metadata-change';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import { requestContext } from '../crud/http/request-context';
import { MODEL_REGISTRY } from '../crud/http/tokens';
import type { RequestContext } from '../crud/types';
import type { ModelRegistry } from '../kernel/model-registry';
import type { ExtensionFieldService, ExtensionFieldView } from './extension-field.service';
import { EXTENSION_FIELDS } from './tokens';

/** `/api/admin/extensions/<entity>/fields`: extension fields of the caller's tenant (docs/plugins.md). */
@Controller('api/admin/extensions/:entity/fields')
@UseInterceptors(EnvelopeInterceptor)
export class ExtensionAdminController {
  constructor(
    @Inject(EXTENSION_FIELDS) private readonly fields: ExtensionFieldService,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {}

  @Get()
  list(@Param('entity') entity: string, @Req() request: FastifyRequest): Promise<ExtensionFieldView[]> {
    return this.fields.list(this.context(request).tenantId, entity);
  }

  @Post()
  @HttpCode(201)
  add(
    @Param('entity') entity: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<ExtensionFieldView> {
    const by = this.actor(request);
    return this.fields.add(this.context(request).tenantId, entity, body, by);
  }

  /** Body `{ "name": "<new name>" }`: renames the field, moving its values. */
  @Patch(':name')
  rename(
    @Param('entity') entity: string,
    @Param('name') name: string,
    @Body() body: { name?: unknown } | undefined,
    @Req() request: FastifyRequest,
  ): Promise<ExtensionFieldView> {
    const by = this.actor(request);
    return this.fields.rename(this.context(request).tenantId, entity, name, body?.name, by);
  }

  /** Adds an indexed generated column for the field; filters and sorts on it then use the index. */
  @Post(':name/promote')
  @HttpCode(200)
  promote(
    @Param('entity') entity: string,
    @Param('name') name: string,
    @Req() request: FastifyRequest,
  ): Promise<ExtensionFieldView> {
    const by = this.actor(request);
    return this.fields.promote(this.context(request).tenantId, entity, name, by);
  }

  @Delete(':name')
  @HttpCode(204)
  async archive(
    @Param('entity') entity: string,
    @Param('name') name: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const by = this.actor(request);
    await this.fields.archive(this.context(request).tenantId, entity, name, by);
  }

  private context(request: FastifyRequest): RequestContext {
    requireMetadataPublisher(request, this.models.current());
    return requestContext(request, this.models);
  }

  private actor(request: FastifyRequest): MetadataActor {
    return actorOf(request, requireMetadataPublisher(request, this.models.current()));
  }
}
