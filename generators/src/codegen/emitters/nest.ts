import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { camelCase, type CompiledEntity } from '../../../../metadata/src/model';
import { apiProperties } from '../api-shape';
import { sourceOf, type EmitContext } from '../context';
import { kebabCase, pascalCase } from '../naming';
import { DOMAIN_DIR, outputPaths } from '../paths';
import type { DraftFile } from '../types';

/** Entities with their own routes: owned children are reached only through their parent. */
function routedEntities(ctx: EmitContext): CompiledEntity[] {
  return ctx.entities.filter((e) => !e.owned);
}

/** `<entity>.dto.ts` and `<entity>.controller.ts` per routed entity, then one module per metadata module. */
export function emitNest(ctx: EmitContext): DraftFile[] {
  const files: DraftFile[] = [];
  for (const entity of routedEntities(ctx)) {
    const source = sourceOf(ctx, 'entity', entity.name);
    files.push({ path: outputPaths.dto(entity), source, entity: entity.name, body: dto(ctx, entity) });
    files.push({
      path: outputPaths.controller(entity),
      source,
      entity: entity.name,
      body: controller(ctx, entity),
    });
  }
  const modules = [...new Set(routedEntities(ctx).map((e) => e.module))].sort();
  for (const module of modules) files.push(moduleFile(ctx, module));
  files.push(generatedModule(ctx, modules));
  files.push(domainHookRegistry(ctx));
  files.push({
    path: outputPaths.domainHooks(),
    source: 'generators/templates/nest/domain-hooks.ts.hbs',
    body: ctx.templates.render('nest/domain-hooks.ts', {}),
  });
  return files;
}

function names(entity: CompiledEntity) {
  return {
    typeName: pascalCase(entity.name),
    file: kebabCase(entity.name),
    path: entity.path,
    label: entity.label.en,
    singular: entity.label.en.toLowerCase(),
    plural: entity.pluralLabel.en.toLowerCase(),
  };
}

function dto(ctx: EmitContext, entity: CompiledEntity): string {
  const n = names(entity);
  const shapes = [
    { className: `Create${n.typeName}Dto`, doc: `Body of \`POST /api/${n.path}\`.`, mode: 'create' as const },
    {
      className: `Update${n.typeName}Dto`,
      doc: `Body of \`PATCH /api/${n.path}/:id\`.`,
      mode: 'patch' as const,
    },
    {
      className: `${n.typeName}Dto`,
      doc: `A ${n.singular} as the API returns it.`,
      mode: 'response' as const,
    },
  ].map((shape) => ({ ...shape, properties: apiProperties(ctx.model, entity, shape.mode) }));
  return ctx.templates.render('nest/dto.ts', { ...n, shapes });
}

function controller(ctx: EmitContext, entity: CompiledEntity): string {
  return ctx.templates.render('nest/controller.ts', {
    ...names(entity),
    businessKey: entity.businessKey !== undefined,
    appendOnly: entity.appendOnly,
    restorable: entity.softDelete && !entity.appendOnly,
  });
}

function moduleNames(module: string) {
  return {
    module,
    file: kebabCase(module),
    controllersConst: `${module.toUpperCase()}_CONTROLLERS`,
  };
}

/** The controller list of one metadata module, grouped by origin (`core` first, then plugins by name). */
function moduleFile(ctx: EmitContext, module: string): DraftFile {
  const entities = routedEntities(ctx).filter((e) => e.module === module);
  const origins = [...new Set(entities.map((e) => e.origin))]
    .sort((a, b) => Number(b === 'core') - Number(a === 'core') || a.localeCompare(b))
    .map((origin) => ({
      origin,
      controllers: entities
        .filter((e) => e.origin === origin)
        .map((e) => ({ className: `${pascalCase(e.name)}Controller` })),
    }));
  const controllers = entities.map((e) => ({
    className: `${pascalCase(e.name)}Controller`,
    file: kebabCase(e.name),
  }));
  const source = ctx.set.sources.has(`module:${module}`)
    ? sourceOf(ctx, 'module', module)
    : sourceOf(ctx, 'plugin', module);
  return {
    path: outputPaths.module(module),
    source,
    body: ctx.templates.render('nest/module.ts', { ...moduleNames(module), controllers, origins }),
  };
}

function generatedModule(ctx: EmitContext, modules: string[]): DraftFile {
  return {
    path: outputPaths.generatedModules(),
    source: 'metadata/modules/*/module.yaml and plugins/*/plugin.yaml',
    body: ctx.templates.render('nest/generated.module.ts', { modules: modules.map(moduleNames) }),
  };
}

/**
 * The generation gap: a hand-written `platform/src/domain/<module>/<entity>.hooks.ts` is imported
 * by the registry when it exists and never written by the generator. A hook file that matches no
 * entity would silently never run, so it stops the generation instead.
 */
function domainHookRegistry(ctx: EmitContext): DraftFile {
  const expected = new Map(ctx.entities.map((e) => [outputPaths.hooks(e), e]));
  const onDisk = hookFilesOnDisk(ctx.root);
  const strays = onDisk.filter((path) => !expected.has(path));
  if (strays.length > 0) {
    throw new Error(
      `${strays.join(', ')}: a hook file must be platform/src/domain/<module>/<entity>.hooks.ts ` +
        'of an entity of the metadata (module folder and kebab-case entity name)',
    );
  }
  const hooks = onDisk
    .map((path) => expected.get(path)!)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => ({
      entity: e.name,
      module: e.module,
      file: kebabCase(e.name),
      local: `${camelCase(e.name)}Hooks`,
    }));
  return {
    path: outputPaths.domainHookRegistry(),
    source: 'platform/src/domain/*/*.hooks.ts',
    body: ctx.templates.render('nest/domain-hook-registry.ts', { hooks }),
  };
}

/** Repository-relative paths of every `platform/src/domain/<module>/*.hooks.ts`, sorted. */
function hookFilesOnDisk(root: string): string[] {
  const domain = join(root, DOMAIN_DIR);
  if (!existsSync(domain)) return [];
  return readdirSync(domain, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((module) =>
      readdirSync(join(domain, module.name))
        .filter((file) => file.endsWith('.hooks.ts'))
        .map((file) => `${DOMAIN_DIR}/${module.name}/${file}`),
    )
    .sort();
}
