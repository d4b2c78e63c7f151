import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HookRegistry, type HookPhase, type WriteAction } from '../../../platform/src/crud/hooks';
import { DOMAIN_HOOKS, registerDomainHooks } from '../../../platform/src/generated/domain-hook-registry';

const DOMAIN = join(__dirname, '..', '..', '..', 'platform', 'src', 'domain');
const PHASES: HookPhase[] = ['before', 'inTransaction', 'after'];
const ACTIONS: WriteAction[] = ['create', 'update', 'delete', 'restore'];

/** Every `<module>/<entity-kebab>.hooks.ts` under platform/src/domain, as entity name → path. */
function hookFilesOnDisk(): Map<string, string> {
  const files = new Map<string, string>();
  for (const module of readdirSync(DOMAIN, { withFileTypes: true })) {
    if (!module.isDirectory()) continue;
    for (const file of readdirSync(join(DOMAIN, module.name))) {
      const match = /^(.+)\.hooks\.ts$/.exec(file);
      if (match) files.set(match[1]!.replace(/-/g, '_'), join(DOMAIN, module.name, file));
    }
  }
  return files;
}

/** Which (phase, entity, action) triples have a hook in the registry. */
function registered(registry: HookRegistry): string[] {
  return Object.keys(DOMAIN_HOOKS).flatMap((entity) =>
    PHASES.flatMap((phase) =>
      ACTIONS.filter((action) => registry.has(phase, entity, action)).map(
        (action) => `${phase} ${entity} ${action}`,
      ),
    ),
  );
}

describe('the generated domain hook registry the server bootstraps with', () => {
  it('holds every hook file under platform/src/domain with the hooks it exports (else run `npm run generate`)', () => {
    const onDisk = hookFilesOnDisk();
    expect(Object.keys(DOMAIN_HOOKS).sort()).toEqual([...onDisk.keys()].sort());
    for (const [entity, path] of onDisk) {
      const exported = (require(path) as { hooks: unknown }).hooks;
      expect(DOMAIN_HOOKS[entity]).toBe(exported);
    }
  });

  it('registers the hooks of every file on a HookRegistry and removes them again', () => {
    const registry = new HookRegistry();
    const remove = registerDomainHooks(registry);
    const added = registered(registry);
    for (const entity of Object.keys(DOMAIN_HOOKS))
      expect(added.some((triple) => triple.includes(` ${entity} `))).toBe(true);
    remove();
    expect(registered(registry)).toEqual([]);
  });
});
