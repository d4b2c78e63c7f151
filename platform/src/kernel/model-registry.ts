import type { Model } from '../../../metadata/src/model';

export type ModelSwapListener = (next: Model, previous: Model) => void;

/**
 * Holds the one current Model. A request reads `current()` once at its start (into its
 * RequestContext) and works on that object to the end, so `swap` never tears a request in flight:
 * the old Model stays alive for as long as someone still holds it.
 */
export class ModelRegistry {
  private model: Model;
  private readonly listeners = new Set<ModelSwapListener>();

  constructor(initial: Model) {
    this.model = initial;
  }

  current(): Model {
    return this.model;
  }

  /** Version to compile the next Model with (`compileModel(set, { version: registry.nextVersion() })`). */
  nextVersion(): number {
    return this.model.version + 1;
  }

  /**
   * Replaces the current Model in one assignment. The new Model must carry a higher version, which
   * also rejects the loser of two concurrent swaps built from the same base.
   */
  swap(next: Model): Model {
    const previous = this.model;
    if (next.version <= previous.version) {
      throw new Error(`Model version ${next.version} is not newer than the current ${previous.version}`);
    }
    this.model = next;
    for (const listener of this.listeners) listener(next, previous);
    return previous;
  }

  /** Called after every swap (cache invalidation, cross-instance sync). Returns the unsubscribe. */
  subscribe(listener: ModelSwapListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
