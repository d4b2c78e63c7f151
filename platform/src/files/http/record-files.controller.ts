import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledEntity } from '../../../../metadata/src/model';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { parseId } from '../../crud/http/read-options';
import { requestContext } from '../../crud/http/request-context';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityOperations } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import { holds } from '../../security/authorization/access';
import type { SecureContext } from '../../security/principal';
import { SecureEntityOperations } from '../../security/secure-operations';
import type { AttachmentInfo, CommentInfo, RecordFiles } from '../record-files';

/** Nest token of the RecordFiles service. */
export const RECORD_FILES = Symbol('RecordFiles');

/**
 * Attachments and comments of a record, for entities that declare them (`attachments`, `comments`):
 * `GET|POST /api/<path>/:id/attachments`, `GET|DELETE /api/<path>/:id/attachments/:attachmentId`,
 * `GET|POST /api/<path>/:id/comments`. The record decides: listing, downloading and commenting need
 * read on it with the row in the caller's read scope; uploading and deleting need update with the row
 * in the update scope. A record out of reach is 404, as if it did not exist.
 */
@Controller('api')
export class RecordFilesController {
  constructor(
    @Inject(ENTITY_OPERATIONS) private readonly operations: EntityOperations,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
    @Inject(RECORD_FILES) private readonly files: RecordFiles,
  ) {}

  @Get(':path/:id/attachments')
  @UseInterceptors(EnvelopeInterceptor)
  async attachments(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Req() request: FastifyRequest,
  ): Promise<{ items: AttachmentInfo[] }> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'read', 'attachments');
    return { items: await this.files.listAttachments(ctx, entity, id) };
  }

  @Post(':path/:id/attachments')
  @HttpCode(201)
  @UseInterceptors(EnvelopeInterceptor)
  async upload(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Req() request: FastifyRequest,
  ): Promise<AttachmentInfo> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'update', 'attachments');
    const policy = this.files.attachmentPolicy(entity);
    if (!request.isMultipart())
      throw new BadRequestError('Send the file as multipart/form-data in a part named file', {
        errors: [{ field: 'file', path: '/file', rule: 'required', message: 'multipart/form-data expected' }],
      });
    let description: string | undefined;
    let attached: AttachmentInfo | undefined;
    // The file streams to the store as it arrives (the limit one byte past the policy's, so the
    // service sees the excess and refuses it); a description counts when it comes before the file.
    for await (const part of request.parts({
      limits: { fileSize: policy.maxSize + 1, files: 1, fields: 4 },
    })) {
      if (part.type === 'field') {
        if (part.fieldname === 'description' && typeof part.value === 'string') description = part.value;
      } else if (part.fieldname === 'file' && !attached) {
        attached = await this.files.upload(ctx, entity, id, {
          fileName: part.filename,
          contentType: part.mimetype,
          content: part.file,
          description,
        });
      } else {
        part.file.resume();
      }
    }
    if (!attached)
      throw new BadRequestError('No file: send it in a multipart part named file', {
        errors: [{ field: 'file', path: '/file', rule: 'required', message: 'file is required' }],
      });
    return attached;
  }

  @Get(':path/:id/attachments/:attachmentId')
  async download(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Param('attachmentId') rawAttachmentId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'read', 'attachments');
    const file = await this.files.download(ctx, entity, id, parseId(rawAttachmentId));
    const inline = /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/.test(file.contentType);
    await reply
      .header('content-type', file.contentType)
      .header('content-length', String(file.size))
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header(
        'content-security-policy',
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
      )
      .header(
        'content-disposition',
        `${inline ? 'inline' : 'attachment'}; filename="${asciiName(file.fileName)}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      )
      .send(file.body);
  }

  @Delete(':path/:id/attachments/:attachmentId')
  @UseInterceptors(EnvelopeInterceptor)
  async remove(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Param('attachmentId') rawAttachmentId: string,
    @Req() request: FastifyRequest,
  ): Promise<null> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'update', 'attachments');
    await this.files.remove(ctx, entity, id, parseId(rawAttachmentId));
    return null;
  }

  @Get(':path/:id/comments')
  @UseInterceptors(EnvelopeInterceptor)
  async comments(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Req() request: FastifyRequest,
  ): Promise<{ items: CommentInfo[] }> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'read', 'comments');
    return { items: await this.files.listComments(ctx, entity, id) };
  }

  @Post(':path/:id/comments')
  @HttpCode(201)
  @UseInterceptors(EnvelopeInterceptor)
  async comment(
    @Param('path') path: string,
    @Param('id') rawId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<CommentInfo> {
    const { ctx, entity, id } = await this.record(request, path, rawId, 'read', 'comments');
    const text = body && typeof body === 'object' ? (body as Record<string, unknown>).body : undefined;
    return this.files.addComment(ctx, entity, id, text);
  }

  /**
   * The entity and record the request is about, once the caller is found to hold `<entity>:<action>`
   * and the row lies in its scope for it (and in its read scope): 403 without the permission, 404 for
   * a row out of reach or an entity that does not declare the feature.
   */
  private async record(
    request: FastifyRequest,
    path: string,
    rawId: string,
    action: 'read' | 'update',
    feature: 'attachments' | 'comments',
  ): Promise<{ ctx: SecureContext; entity: CompiledEntity; id: number }> {
    const ctx = requestContext(request, this.models);
    const entity = ctx.model.entitiesByPath.get(path);
    if (!entity || entity.owned) throw new NotFoundError('entity', path);
    if (feature === 'attachments' ? !entity.attachments : !entity.comments)
      throw new NotFoundError(`${feature} of`, entity.name);
    const id = parseId(rawId);
    const permission = `${entity.name}:${action}`;
    if (!holds(ctx.principal, ctx.model, permission))
      throw new ForbiddenError(`Permission '${permission}' required`, { permission });
    if (!(this.operations instanceof SecureEntityOperations))
      throw new ForbiddenError('Record access cannot be checked on this server');
    await this.operations.authorizeRowRequest(entity.name, id, ctx, action === 'read' ? null : action);
    return { ctx, entity, id };
  }
}

/** The name for the plain `filename=` parameter: ASCII only, no quotes or backslashes. */
function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}
