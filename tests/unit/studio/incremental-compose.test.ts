/**
 * Recomposing after a change reuses what the last compositions parsed, validated and compiled, and
 * gives the same Model (and the same diagnostics) as composing from scratch.
 */
import { resolve } from 'node:path';
import { LoadedLayerCache, loadLayer, type StudioLayer } from '../../../metadata/src/studio/layer';
import type { Model } from '../../../metadata/src/model';
import { MetadataRejectedError, ModelComposer } from '../../../platform/src/plugins/model-composer';

const ROOT = resolve(__dirname, '../../..');
const label = (text: string) => ({ en: text, zh: text });

function entity(name: string, fields: Record<string, unknown> = {}, display = 'title') {
  return {
    entity: name,
    label: label(name),
    module: 'quality',
    database: 'core',
    display,
    fields: {
      title: { type: 'string', length: 120, required: true, label: label('Title') },
      code: { type: 'string', length: 32, label: label('Code') },
      ...fields,
    },
  };
}

const layer = (...documents: Record<string, unknown>[]): StudioLayer => ({ documents, grants: {} });
const compose = (composer: ModelComposer, studio: StudioLayer, version: number, extensionFields = []) =>
  composer.compose({ roots: [ROOT], plugins: new Map(), studio, extensionFields }, version);
/** What an entity compiles to, without the Maps that repeat its fields. */
const shape = (model: Model, name: string) => {
  const { fieldsByName: _byName, fieldsByApiName: _byApiName, ...rest } = model.entities.get(name)!;
  return rest;
};

describe('loading studio layers with a cache', () => {
  it('keeps the documents of unchanged entries, parses changed ones and forgets old layers', () => {
    const cache = new LoadedLayerCache(2);
    const first = loadLayer(layer(entity('cached_a'), entity('cached_b')), cache).documents;
    const second = loadLayer(layer(entity('cached_a'), entity('cached_b', {}, 'code')), cache).documents;
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1].data.display).toBe('code');
    expect(cache.held).toBe(3);
    loadLayer(layer(entity('cached_c')), cache);
    loadLayer(layer(entity('cached_d')), cache);
    // Only the last two loads are held: the documents of the earlier layers are released.
    expect(cache.held).toBe(2);
    expect(loadLayer(layer(entity('cached_a')), cache).documents[0]).not.toBe(first[0]);
  });
});

describe('recomposing a Model incrementally', () => {
  const composer = new ModelComposer();
  const base = layer(
    entity('inc_part'),
    entity('inc_lot', { part: { type: 'relation', to: 'inc_part', label: label('Part') } }),
  );
  const before = compose(composer, base, 2);

  it('keeps the compiled objects of unchanged entities and equals a Model composed from scratch', () => {
    const added = layer(...base.documents, entity('inc_batch'));
    const after = compose(composer, added, 3);
    expect(after.entities.get('inc_part')).toBe(before.entities.get('inc_part'));
    expect(after.entities.get('inc_lot')).toBe(before.entities.get('inc_lot'));
    expect(after.entities.get('work_order')).toBe(before.entities.get('work_order'));
    const fresh = compose(new ModelComposer(), added, 3);
    expect(after.hash).toBe(fresh.hash);
    expect([...after.entities.keys()]).toEqual([...fresh.entities.keys()]);
    for (const name of ['inc_part', 'inc_lot', 'inc_batch', 'work_order'])
      expect(shape(after, name)).toEqual(shape(fresh, name));
  });

  it('compiles an unchanged entity again when what it refers to changed', () => {
    const after = compose(composer, layer(entity('inc_part', {}, 'code'), base.documents[1]), 4);
    expect(after.entities.get('inc_lot')).not.toBe(before.entities.get('inc_lot'));
    expect(after.entities.get('inc_lot')?.fieldsByName.get('part')?.relation?.display).toBe('code');
    expect(before.entities.get('inc_lot')?.fieldsByName.get('part')?.relation?.display).toBe('title');
  });

  it('serves the last Model under a new version while nothing changed, and compiles extension fields in', () => {
    const again = compose(composer, base, 5);
    const same = compose(composer, base, 6);
    expect(same.version).toBe(6);
    expect(same.hash).toBe(again.hash);
    expect(same.entities).toBe(again.entities);
    expect(Object.isFrozen(same)).toBe(true);
    const extended = compose(composer, base, 7, [
      { entity: 'inc_part', name: 'colour', def: { type: 'string', label: label('Colour') } },
    ] as never);
    expect(extended.hash).not.toBe(same.hash);
    expect(extended.entities.get('inc_part')?.fieldsByName.get('colour')?.storage).toBe('ext');
    expect(compose(composer, base, 8).entities.get('inc_part')?.fieldsByName.has('colour')).toBe(false);
  });

  it('reports the same diagnostics for a broken layer however often it is composed', () => {
    // One document fails its meta-schema, the other refers to an entity that does not exist.
    const broken = layer(
      entity('inc_broken', { size: { type: 'integr', label: label('Size') } }),
      entity('inc_dangling', { part: { type: 'relation', to: 'inc_nowhere', label: label('Part') } }),
    );
    const diagnostics = (from: ModelComposer) => {
      try {
        compose(from, broken, 9);
      } catch (error) {
        if (error instanceof MetadataRejectedError) return error.diagnostics;
        throw error;
      }
      throw new Error('the broken layer composed');
    };
    const first = diagnostics(composer);
    expect(first.map((d) => d.rule)).toEqual(expect.arrayContaining(['relation-target', 'enum']));
    expect(diagnostics(composer)).toEqual(first);
    compose(composer, base, 10);
    expect(diagnostics(composer)).toEqual(first);
    expect(diagnostics(new ModelComposer())).toEqual(first);
  });
});
