import type { Model } from '../../../metadata/src/model';
import { suggest } from '../../../metadata/src/suggest';
import { typeMatches } from './envelope';

/**
 * Events the domain code emits beyond those the metadata declares (work order release, stock
 * postings, quality holds, inventory analyses), by type, with the entity each is about.
 */
const DOMAIN_EVENTS: Readonly<Record<string, string>> = {
  'production_lot.created': 'production_lot',
  'serial_number.created': 'serial_number',
  'material.consumption': 'stock_transaction',
  'quality_hold.released': 'quality_hold',
  'quality_hold.scrapped': 'quality_hold',
  'quality_hold.returned': 'quality_hold',
  'inventory.abc_analysis.completed': 'item_master',
};

const catalogs = new WeakMap<Model, ReadonlyMap<string, readonly string[]>>();

/**
 * Every event type the platform emits under this Model → the entities it is about (one type may be
 * emitted about several): each entity's CRUD events (`events:`, default
 * `<entity>.created|updated|deleted`), each workflow transition's `emits`, and the domain events above.
 */
export function eventCatalog(model: Model): ReadonlyMap<string, readonly string[]> {
  let catalog = catalogs.get(model);
  if (!catalog) {
    const types = new Map<string, Set<string>>();
    const add = (type: string, entity: string) => types.set(type, (types.get(type) ?? new Set()).add(entity));
    for (const [type, entity] of Object.entries(DOMAIN_EVENTS)) add(type, entity);
    for (const entity of model.entities.values())
      for (const type of Object.values(entity.events)) add(type, entity.name);
    for (const workflow of model.workflows.values())
      for (const transition of workflow.transitions)
        for (const type of transition.emits ?? []) add(type, workflow.entity);
    catalog = new Map(
      [...types]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, entities]) => [type, [...entities].sort()]),
    );
    catalogs.set(model, catalog);
  }
  return catalog;
}

/** The catalogued types a subscription pattern (`work_order.released`, `work_order.*`, `*`) covers. */
export function typesCoveredBy(model: Model, pattern: string): string[] {
  return [...eventCatalog(model).keys()].filter((type) => typeMatches(pattern, type));
}

/** The closest catalogued type or `<prefix>.*` pattern to a pattern that covers none. */
export function closestEventType(model: Model, pattern: string): string | undefined {
  const types = [...eventCatalog(model).keys()];
  const prefixes = new Set(types.map((type) => `${type.slice(0, type.indexOf('.'))}.*`));
  return suggest(pattern, pattern.endsWith('.*') ? [...prefixes, ...types] : [...types, ...prefixes]);
}
