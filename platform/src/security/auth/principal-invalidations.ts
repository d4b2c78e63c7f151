/**
 * Principal invalidation: an access token carries the principal (roles, runtime grants, departments,
 * lines, plants) so that a request needs no database read; a change to what it carries must still stop
 * the old token at once, on every instance.
 *
 * A change that alters principals takes, inside its transaction, the tenant's next principal version
 * and records it per subject — `user:<id>` (that user's rows), `role:<code>` (every holder of the
 * role) or `tenant` (every user of the tenant: permissions, the department tree, line→plant) — in
 * `sec_principal_invalidation`. A token carries the tenant's version read before its principal was
 * read (`pv`); it is stale when one of its subjects changed at a later version. Versions come from one
 * counter row per tenant, so no clock is compared across instances.
 *
 * Every instance keeps the recent invalidations in memory: loaded at start, applied by the changing
 * instance once the transaction commits, announced to the others on the live channel (Redis pub/sub
 * when configured) and read again from the database every `reloadMs`, which heals a message lost
 * while Redis was down and picks up changes made by the CLI.
 */
import type { EngineDatabase, SqlExecutor } from '../../data/database';
import { PollingLoop } from '../../data/polling-loop';
import { liveTopic, type LiveAudience, type LiveChannel } from '../../events/live-channel';
import type { Principal } from '../principal';
import {
  nextPrincipalVersion,
  recentInvalidations,
  storeInvalidations,
} from './principal-invalidation-store';

/** The instances' audience of principal invalidations (never a user's stream). */
export const PRINCIPALS_CHANGED: LiveAudience = { kind: 'system', topic: 'security.principals' };

/** What an instance announces once a change committed. */
export interface PrincipalChange {
  tenantId: string;
  version: number;
  subjects: string[];
}

export const userSubject = (userId: string | number): string => `user:${userId}`;
export const roleSubject = (role: string): string => `role:${role}`;
export const TENANT_SUBJECT = 'tenant';

export interface PrincipalInvalidationOptions {
  /** How long an invalidation matters: the access token lifetime (older tokens have expired). */
  retainMs: number;
  /** How often the database is read again (missed messages, CLI changes); 0: never. Default 10 s. */
  reloadMs?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

interface Known {
  version: number;
  /** Local time it was learnt, for forgetting it once every token it concerns has expired. */
  atMs: number;
}

interface PendingChange {
  version: number;
  subjects: Set<string>;
}

export class PrincipalInvalidations {
  private readonly known = new Map<string, Known>();
  private readonly pending = new WeakMap<SqlExecutor, Map<string, PendingChange>>();
  private live: LiveChannel | null = null;
  /** Reads the database again every `reloadMs`; none when 0. */
  private readonly reloads: PollingLoop | null;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly database: EngineDatabase,
    private readonly options: PrincipalInvalidationOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
    const every = options.reloadMs ?? 10_000;
    this.reloads =
      every > 0
        ? new PollingLoop(
            async () => {
              await this.reload();
              return false;
            },
            every,
            this.onError,
          )
        : null;
  }

  /** Reads the recent invalidations, then keeps reading them every `reloadMs`. */
  async start(): Promise<void> {
    await this.reload();
    this.reloads?.start(true);
  }

  /** Announces this instance's changes on the channel and applies the other instances'. */
  follow(live: LiveChannel): () => void {
    this.live = live;
    const unsubscribe = live.subscribe([liveTopic(PRINCIPALS_CHANGED)], (message) => {
      const change = message.data as Partial<PrincipalChange> | null;
      if (
        typeof change?.tenantId === 'string' &&
        typeof change.version === 'number' &&
        Array.isArray(change.subjects)
      )
        this.apply(
          change.tenantId,
          change.version,
          change.subjects.filter((s) => typeof s === 'string'),
        );
    });
    return () => {
      unsubscribe();
      if (this.live === live) this.live = null;
    };
  }

  /** Stops reading the database again, once a read in flight has finished. */
  async close(): Promise<void> {
    await this.reloads?.stop();
  }

  /**
   * Records, inside the changing transaction, that the subjects' principals change with it. All
   * subjects of one transaction and tenant share one version; once it commits, this instance refuses
   * the older tokens and tells the others. `tx` must be a transaction (one version per executor).
   */
  async invalidate(tx: SqlExecutor, tenantId: string, subjects: readonly string[]): Promise<void> {
    if (subjects.length === 0) return;
    let changes = this.pending.get(tx);
    if (!changes) {
      changes = new Map();
      this.pending.set(tx, changes);
    }
    let change = changes.get(tenantId);
    const first = !change;
    if (!change) {
      change = { version: await nextPrincipalVersion(tx, tenantId), subjects: new Set() };
      changes.set(tenantId, change);
    }
    const fresh = subjects.filter((subject) => !change.subjects.has(subject));
    for (const subject of fresh) change.subjects.add(subject);
    if (fresh.length > 0) await storeInvalidations(tx, tenantId, fresh, change.version, this.now());
    // Registered once the subjects are in: outside a transaction the callback runs at once.
    if (first) {
      const committed = change;
      tx.afterCommit(() => this.committed(tenantId, committed));
    }
  }

  /** Whether a token issued at principal version `tokenVersion` predates a change to its principal. */
  isStale(principal: Principal, tokenVersion: number): boolean {
    if (this.known.size === 0) return false;
    const changedAfter = (subject: string) =>
      (this.known.get(keyOf(principal.tenantId, subject))?.version ?? 0) > tokenVersion;
    return (
      changedAfter(userSubject(principal.userId)) ||
      changedAfter(TENANT_SUBJECT) ||
      principal.roles.some((role) => changedAfter(roleSubject(role)))
    );
  }

  /** Reads the invalidations recent enough to matter and forgets older ones. */
  async reload(): Promise<void> {
    const since = this.now() - this.options.retainMs;
    const rows = await recentInvalidations(this.database.executor(), since);
    for (const row of rows) this.apply(row.tenantId, row.version, [row.subject]);
    for (const [key, known] of this.known) if (known.atMs < since) this.known.delete(key);
  }

  private committed(tenantId: string, change: PendingChange): void {
    const subjects = [...change.subjects];
    this.apply(tenantId, change.version, subjects);
    const data: PrincipalChange = { tenantId, version: change.version, subjects };
    this.live?.publish(PRINCIPALS_CHANGED, { event: 'security.principals', data }).catch(this.onError);
  }

  private apply(tenantId: string, version: number, subjects: readonly string[]): void {
    const atMs = this.now();
    for (const subject of subjects) {
      const key = keyOf(tenantId, subject);
      const known = this.known.get(key);
      if (!known || known.version < version) this.known.set(key, { version, atMs });
    }
  }
}

function keyOf(tenantId: string, subject: string): string {
  return `${tenantId}\n${subject}`;
}
