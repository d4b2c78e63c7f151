import { join } from 'node:path';
import type { MetadataSet } from '../../../metadata/src/types';
import { compileModel } from '../../../metadata/src/model';
import type { EmitContext } from './context';
import { emitClient } from './emitters/client';
import { emitEntityDocs } from './emitters/entity-doc';
import { emitForms } from './emitters/form';
import { emitLists } from './emitters/list';
import { emitNest } from './emitters/nest';
import { formatOutput, projectPrettierOptions } from './format';
import { withHeader } from './header';
import { TemplateRenderer } from './templates';
import type { DraftFile, GeneratedFile } from './types';

/** Every generator, in the order their outputs are reported. */
export const EMITTERS: ReadonlyArray<{ name: string; emit: (ctx: EmitContext) => DraftFile[] }> = [
  { name: 'nest', emit: emitNest },
  { name: 'forms', emit: emitForms },
  { name: 'lists', emit: emitLists },
  { name: 'client', emit: emitClient },
  { name: 'docs', emit: emitEntityDocs },
];

export interface GenerateOptions {
  /** Project root: outputs and source paths are relative to it. */
  root: string;
  /** Default `<root>/generators/templates`; tests generate a fixture project with the real templates. */
  templateDir?: string;
  /** Only this entity's outputs and the shared ones (`--entity`). */
  entity?: string;
  /** Called once per generator as it finishes, for progress output. */
  onProgress?: (generator: string, files: number) => void;
}

/** Compiles the metadata and prepares what every emitter reads. */
export function createEmitContext(set: MetadataSet, options: GenerateOptions): EmitContext {
  const model = compileModel(set, { version: 0 });
  return {
    root: options.root,
    model,
    set,
    templates: new TemplateRenderer(options.templateDir ?? join(options.root, 'generators', 'templates')),
    entities: [...model.entities.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Every output of the metadata set: headed, formatted and sorted by path. Pure apart from reading templates. */
export async function generateOutputs(set: MetadataSet, options: GenerateOptions): Promise<GeneratedFile[]> {
  const ctx = createEmitContext(set, options);
  const prettierOptions = projectPrettierOptions(options.root);
  const files: GeneratedFile[] = [];
  for (const emitter of EMITTERS) {
    const drafts = emitter
      .emit(ctx)
      .filter((d) => options.entity === undefined || d.entity === undefined || d.entity === options.entity);
    for (const { body, ...draft } of drafts) {
      const content = await formatOutput(
        draft.path,
        withHeader(draft.path, body, draft.source),
        prettierOptions,
      );
      files.push({ ...draft, content });
    }
    options.onProgress?.(emitter.name, drafts.length);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
