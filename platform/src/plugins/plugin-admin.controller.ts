import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { adminActor, requireAdmin } from './admin-access';
import { BadRequestError, ForbiddenError } from '../crud/errors';
import { EnvelopeInterceptor } from '../crud/http/envelope.interceptor';
import type { CatalogPlugin, PluginInfo, PluginManager } from './plugin-manager';
import { SIGNATURE_HEADER } from './plugin-signature';
import { PLUGIN_MANAGER } from './tokens';

interface InstallBody {
  /** Catalog name (`procurement`) or absolute folder path. */
  source?: unknown;
  /** Enable at once after installing. */
  enable?: unknown;
}

/** `/api/admin/plugins`: the plugin lifecycle at runtime (docs/plugins.md). */
@Controller('api/admin/plugins')
@UseInterceptors(EnvelopeInterceptor)
export class PluginAdminController {
  constructor(@Inject(PLUGIN_MANAGER) private readonly plugins: PluginManager) {}

  @Get()
  list(@Req() request: FastifyRequest): Promise<PluginInfo[]> {
    requireAdmin(request);
    return this.plugins.list();
  }

  /** The catalog: plugins that can be installed by name (installed ones included). */
  @Get('catalog')
  catalog(@Req() request: FastifyRequest): CatalogPlugin[] {
    requireAdmin(request);
    return this.plugins.catalogPlugins();
  }

  @Get(':name')
  get(@Param('name') name: string, @Req() request: FastifyRequest): Promise<PluginInfo> {
    requireAdmin(request);
    return this.plugins.get(name);
  }

  /**
   * JSON `{ source, enable? }` installs from the catalog or a folder; a `.tgz` body
   * (`application/gzip`, built by `mes plugin build`, its signature in X-Plugin-Signature) installs
   * the package, `?enable=true` enabling it.
   */
  @Post()
  @HttpCode(201)
  install(
    @Body() body: InstallBody | Buffer | undefined,
    @Query('enable') enableQuery: string | undefined,
    @Headers(SIGNATURE_HEADER) signature: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<PluginInfo> {
    const by = adminActor(request);
    if (Buffer.isBuffer(body))
      return this.plugins.installPackage(
        this.uploaded(body),
        by,
        booleanQuery('enable', enableQuery),
        signature,
      );
    const source = body?.source;
    if (typeof source !== 'string' || source.length === 0)
      throw new BadRequestError('source is required: a catalog plugin name or an absolute folder path', {
        errors: [{ field: 'source', path: '/source', rule: 'required', message: 'source is required' }],
      });
    if (body?.enable !== undefined && typeof body.enable !== 'boolean')
      throw new BadRequestError('enable must be a boolean', {
        errors: [{ field: 'enable', path: '/enable', rule: 'type', message: 'enable must be a boolean' }],
      });
    return this.plugins.install(source, by, body?.enable === true);
  }

  @Post(':name/enable')
  @HttpCode(200)
  enable(@Param('name') name: string, @Req() request: FastifyRequest): Promise<PluginInfo> {
    return this.plugins.enable(name, adminActor(request));
  }

  @Post(':name/disable')
  @HttpCode(200)
  disable(@Param('name') name: string, @Req() request: FastifyRequest): Promise<PluginInfo> {
    return this.plugins.disable(name, adminActor(request));
  }

  @Post(':name/upgrade')
  @HttpCode(200)
  upgrade(
    @Param('name') name: string,
    @Body() body: InstallBody | Buffer | undefined,
    @Headers(SIGNATURE_HEADER) signature: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<PluginInfo> {
    const by = adminActor(request);
    if (Buffer.isBuffer(body)) return this.plugins.upgradePackage(name, this.uploaded(body), by, signature);
    const source = typeof body?.source === 'string' && body.source.length > 0 ? body.source : null;
    return this.plugins.upgrade(name, source, by);
  }

  @Delete(':name')
  @HttpCode(204)
  async uninstall(
    @Param('name') name: string,
    @Query('dropData') dropData: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const by = adminActor(request);
    await this.plugins.uninstall(name, booleanQuery('dropData', dropData), by);
  }

  /** An uploaded package, unless uploads are switched off (MES_PLUGIN_UPLOADS=off). */
  private uploaded(archive: Buffer): Buffer {
    if (!this.plugins.uploadsAllowed)
      throw new ForbiddenError(
        'Uploading plugin packages is switched off on this server (MES_PLUGIN_UPLOADS=off): install from the catalog or a folder on the server, or set MES_PLUGIN_UPLOADS=on',
        { setting: 'MES_PLUGIN_UPLOADS' },
      );
    return archive;
  }
}

function booleanQuery(name: string, value: string | undefined): boolean {
  if (value !== undefined && value !== 'true' && value !== 'false')
    throw new BadRequestError(`${name} must be true or false`, {
      errors: [{ field: name, path: `/query/${name}`, rule: 'enum', message: 'true or false' }],
    });
  return value === 'true';
}
