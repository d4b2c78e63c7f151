import { isAbsolute, join } from 'node:path';
import type { MetadataSet } from '../../../metadata/src/types';
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import { repoPath } from './paths';
import type { TemplateRenderer } from './templates';

/** What every emitter reads: the compiled Model, where each document came from, and the templates. */
export interface EmitContext {
  root: string;
  model: Model;
  set: MetadataSet;
  templates: TemplateRenderer;
  /** Every entity of the model (core and plugins), sorted by name so output order never depends on load order. */
  entities: CompiledEntity[];
}

/** Repository-relative path of the file a document was loaded from. */
export function sourceOf(ctx: EmitContext, kind: string, name: string): string {
  const file = ctx.set.sources.get(`${kind}:${name}`)?.file;
  if (!file) return `${kind} ${name}`;
  return repoPath(ctx.root, isAbsolute(file) ? file : join(ctx.root, file));
}
