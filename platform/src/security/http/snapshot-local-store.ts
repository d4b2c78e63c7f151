/**
 * The in-memory counter store for @fastify/rate-limit when no Redis is configured. The library's own
 * LocalStore hands every caller the same mutable counter object, and the caller reads it only after an
 * await: requests arriving together all read the final count, so a burst of eleven logins refuses all
 * eleven instead of one. This store wraps it and hands each caller a copy taken at its own increment.
 */
import type { FastifyRateLimitStore, RateLimitPluginOptions } from '@fastify/rate-limit';

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];
type ChildOptions = Parameters<FastifyRateLimitStore['child']>[0];

interface CounterStore extends FastifyRateLimitStore {
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
}

type LocalStoreConstructor = new (
  continueExceeding?: boolean,
  exponentialBackoff?: boolean,
  cache?: number,
) => CounterStore;

// The library exports no type for its store; its file is part of the published package.
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as LocalStoreConstructor;

const copying =
  (callback: Callback): Callback =>
  (error, result) =>
    callback(error, result && { current: result.current, ttl: result.ttl });

export class SnapshotLocalStore implements CounterStore {
  private readonly inner: CounterStore;

  // The library constructs a custom store with its merged plugin options.
  constructor(options: RateLimitPluginOptions | CounterStore) {
    this.inner =
      'incr' in options
        ? options
        : new LocalStore(options.continueExceeding, options.exponentialBackoff, options.cache);
  }

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.inner.incr(key, copying(callback), timeWindow, max);
  }

  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.inner.read(key, copying(callback), timeWindow, max);
  }

  child(routeOptions: ChildOptions): CounterStore {
    return new SnapshotLocalStore(this.inner.child(routeOptions) as CounterStore);
  }
}
