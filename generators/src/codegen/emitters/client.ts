import { camelCase, type CompiledEntity } from '../../../../metadata/src/model';
import { apiPropertyOf } from '../../../../metadata/src/model/api-schema';
import { apiProperties } from '../api-shape';
import { sourceOf, type EmitContext } from '../context';
import { kebabCase, pascalCase } from '../naming';
import { outputPaths } from '../paths';
import type { DraftFile } from '../types';

const SYSTEM_FIELDS = ['id', 'createdAt', 'updatedAt'];

/**
 * The typed client: one file per routed entity under `ui-runtime/src/generated/client/`, the shared
 * transport, and `client.ts` re-exporting them, so a change to one entity rewrites only its file.
 */
export function emitClient(ctx: EmitContext): DraftFile[] {
  const routed = ctx.entities.filter((e) => !e.owned);
  const files: DraftFile[] = routed.map((entity) => ({
    path: outputPaths.clientEntity(entity),
    source: sourceOf(ctx, 'entity', entity.name),
    entity: entity.name,
    body: entityClient(ctx, entity),
  }));
  files.push({
    path: outputPaths.clientRuntime(),
    source: 'generators/templates/client/runtime.ts.hbs',
    body: ctx.templates.render('client/runtime.ts', {}),
  });
  files.push({
    path: outputPaths.clientIndex(),
    source: 'metadata/modules/*/entities and plugins/*/metadata',
    body: ctx.templates.render('client/index.ts', {
      entities: routed.map((e) => ({ file: kebabCase(e.name) })),
    }),
  });
  return files;
}

function entityClient(ctx: EmitContext, entity: CompiledEntity): string {
  const pascal = pascalCase(entity.name);
  const shapes = [
    {
      typeName: `${pascal}Record`,
      doc: `A ${entity.label.en.toLowerCase()} as the API returns it.`,
      mode: 'response' as const,
    },
    { typeName: `${pascal}Create`, doc: `Body of a create request.`, mode: 'create' as const },
    {
      typeName: `${pascal}Patch`,
      doc: `Body of an update request: changed fields and the version read.`,
      mode: 'patch' as const,
    },
  ].map((shape) => ({ ...shape, properties: apiProperties(ctx.model, entity, shape.mode) }));
  const fields = [
    ...SYSTEM_FIELDS,
    ...entity.fields.filter((f) => f.storage === 'column' || f.storage === 'ext').map(apiPropertyOf),
  ];
  return ctx.templates.render('client/entity.ts', {
    shapes,
    typeName: pascal,
    path: entity.path,
    label: entity.label.en,
    plural: entity.pluralLabel.en.toLowerCase(),
    clientName: camelCase(entity.path.replace(/-/g, '_')),
    fieldUnion: fields.map((f) => JSON.stringify(f)).join(' | '),
  });
}
