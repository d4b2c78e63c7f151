import { relative, sep } from 'node:path';
import type { CompiledEntity } from '../../../metadata/src/model';
import { kebabCase } from './naming';

/** `a\b` → `a/b`, relative to the root: the form paths take in outputs, headers and the manifest. */
export function repoPath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join('/');
}

/** Hand-written domain code; the generator only reads it (hook files). */
export const DOMAIN_DIR = 'platform/src/domain';

export const MANIFEST_PATH = 'generators/.generated-manifest.json';

/** Where every output of an entity goes; one place so emitters, docs and tests agree. */
export const outputPaths = {
  controller: (e: CompiledEntity) => `platform/src/generated/${e.module}/${kebabCase(e.name)}.controller.ts`,
  dto: (e: CompiledEntity) => `platform/src/generated/${e.module}/${kebabCase(e.name)}.dto.ts`,
  module: (module: string) => `platform/src/generated/${module}/${kebabCase(module)}.module.ts`,
  generatedModules: () => 'platform/src/generated/generated.module.ts',
  domainHooks: () => 'platform/src/generated/domain-hooks.ts',
  domainHookRegistry: () => 'platform/src/generated/domain-hook-registry.ts',
  hooks: (e: CompiledEntity) => `${DOMAIN_DIR}/${e.module}/${kebabCase(e.name)}.hooks.ts`,
  formKitRules: () => 'ui-runtime/src/generated/formkit-rules.ts',
  form: (e: CompiledEntity) => `ui-runtime/src/generated/forms/${kebabCase(e.name)}.form.json`,
  list: (e: CompiledEntity) => `ui-runtime/src/generated/lists/${kebabCase(e.name)}.list.json`,
  clientEntity: (e: CompiledEntity) => `ui-runtime/src/generated/client/${kebabCase(e.name)}.ts`,
  clientIndex: () => 'ui-runtime/src/generated/client.ts',
  clientRuntime: () => 'ui-runtime/src/generated/client/runtime.ts',
  doc: (e: CompiledEntity) => `docs/entities/${e.module}/${kebabCase(e.name)}.md`,
};
