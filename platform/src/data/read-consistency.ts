/**
 * Which server a read goes to when the database has read replicas. A read may go to a replica only
 * inside a request scope whose caller has not written: not in the same request after a write, not
 * within the read-your-writes window after the caller's last write (on any instance), never in a
 * request that writes, and never outside a request (startup, relays, background work).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ReadScope {
  /** True once this request wrote, or when its caller wrote within the window: reads go to the primary. */
  primary: boolean;
  /** Told after each committed write of this request (records the caller's write for the window). */
  onWrite?: () => void;
}

const scopes = new AsyncLocalStorage<ReadScope>();

/** Runs `work` (and everything it awaits) in the read scope of one request. */
export function runInReadScope<T>(scope: ReadScope, work: () => T): T {
  return scopes.run(scope, work);
}

export function replicaReadAllowed(): boolean {
  const scope = scopes.getStore();
  return scope !== undefined && !scope.primary;
}

/** A write committed: the rest of the request, and the caller's next requests, read the primary. */
export function noteCommittedWrite(): void {
  const scope = scopes.getStore();
  if (!scope) return;
  scope.primary = true;
  scope.onWrite?.();
}
