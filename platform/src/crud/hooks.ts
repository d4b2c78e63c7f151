import type { SqlExecutor } from '../data/database';
import type { EntityRecord, RequestContext } from './types';

/**
 * Extension point of every change to a record (docs/architecture.md, "The record-change path"):
 * CRUD, bulk, import, workflow transitions, domain rules, plugins and analyses all change records
 * through EntityService, which runs these hooks for each changed record:
 *
 * - `before`: inside the write's transaction, after the body is validated and the current record
 *   read (with the caller's row scope), before anything is written; `requiredWhen` and references
 *   are checked on the body the hooks leave. May change `body` or throw an ApiError, which rolls
 *   the transaction back.
 * - `inTransaction`: after the row is written, inside the same transaction (domain side effects,
 *   then the audit record and the outbox events); throwing rolls the write back.
 * - `after`: once the transaction committed (notifications, caches). Errors are the hook's own
 *   business: the write has happened, so they are reported to `onAfterError` instead of failing
 *   the request.
 *
 * Within a phase, hooks run stage by stage (`HOOK_STAGES`), and within a stage in order of
 * registration. A child row written through its parent's nested body is a change of the child
 * entity too: its hooks run with `nested` set, `before` just before the row is written,
 * `inTransaction` and `after` once the parent's own ran.
 */
export type WriteAction = 'create' | 'update' | 'delete' | 'restore' | 'transition';

/** A workflow transition applied by the change (action `transition`). */
export interface TransitionChange {
  workflow: string;
  /** The transition's action name (`release`). */
  action: string;
  from: string;
  to: string;
  reason: string | null;
  /** The event types the transition declares (`emits`). */
  events: readonly string[];
  /** The payload every declared event carries. */
  eventPayload: Record<string, unknown>;
  /**
   * Extra payload per event type, merged over `eventPayload`: an in-transaction hook adds what its
   * event's catalogue entry carries beyond the record's changed fields.
   */
  eventData: Record<string, Record<string, unknown>>;
}

/**
 * What the change announces beyond its record: by default a CRUD change emits its entity's
 * `created|updated|deleted` event with the record as payload. `false`: no such event (the rule
 * that made the change emits its own); a function: the payload of that event.
 */
export type Announcement = false | ((record: EntityRecord) => Record<string, unknown>);

export interface HookBase {
  entity: string;
  action: WriteAction;
  ctx: RequestContext;
  /** Set for action `transition`. */
  transition?: TransitionChange;
  /** Set when the change's author decides its event (see Announcement). */
  announce?: Announcement;
  /** Set for a child row written through its parent's nested body (see NestedChange). */
  nested?: NestedChange;
}

/**
 * Where a child row changed through its parent's nested body stands: the parent and the row's JSON
 * pointer in the parent's body (`/operations/1`; a removed row, which the body no longer lists, is
 * named by its collection, `/operations`). The parent's audit record and event carry the row, so
 * the `record` stage does not run for it (HOOK_STAGES).
 */
export interface NestedChange {
  parent: { entity: string; id: number };
  /** The parent's children field (API name), `operations`. */
  field: string;
  path: string;
}

/**
 * The record-change path (EntityService), for hooks whose behaviour changes further records in
 * the same transaction: those changes run their own hooks, outbox events and audit records.
 */
export interface RecordChanges {
  /** A record read in `tx` with `ctx`'s row scope (404 outside it), in API shape. */
  getIn(tx: SqlExecutor, entity: string, id: number, ctx: RequestContext): Promise<EntityRecord>;
  createIn(
    tx: SqlExecutor,
    entity: string,
    body: EntityRecord,
    ctx: RequestContext,
    options?: { announce?: Announcement },
  ): Promise<EntityRecord>;
  createManyIn(
    tx: SqlExecutor,
    entity: string,
    bodies: readonly EntityRecord[],
    ctx: RequestContext,
    options?: { announce?: Announcement },
  ): Promise<EntityRecord[]>;
  /** A record changed from its current values, read with a lock (EntityService.changeIn). */
  changeIn(
    tx: SqlExecutor,
    entity: string,
    id: number,
    compute: (current: EntityRecord) => EntityRecord | Promise<EntityRecord>,
    ctx: RequestContext,
    options?: { announce?: Announcement },
  ): Promise<EntityRecord>;
  updateIn(
    tx: SqlExecutor,
    entity: string,
    id: number,
    fields: EntityRecord,
    ctx: RequestContext,
    options?: { announce?: Announcement },
  ): Promise<EntityRecord>;
}

export interface BeforeHookArgs extends HookBase {
  tx: SqlExecutor;
  /** The validated body (create/update) or the fields a transition writes; `{}` for delete and restore. */
  body: EntityRecord;
  /** The stored record for update, delete, restore and transition; null for create. */
  current: EntityRecord | null;
  /** The row's id; null for create. */
  id: number | null;
}

export interface InTransactionHookArgs extends HookBase {
  tx: SqlExecutor;
  record: EntityRecord;
  previous: EntityRecord | null;
  /** For further changes the hook makes in the same transaction. */
  records: RecordChanges;
}

export interface AfterHookArgs extends HookBase {
  record: EntityRecord;
  previous: EntityRecord | null;
}

export interface HookArgsByPhase {
  before: BeforeHookArgs;
  inTransaction: InTransactionHookArgs;
  after: AfterHookArgs;
}

export type HookPhase = keyof HookArgsByPhase;
export type Hook<P extends HookPhase> = (args: HookArgsByPhase[P]) => void | Promise<void>;

/** `*` matches every entity or every action. */
export interface HookSelector {
  entity: string | '*';
  action: WriteAction | '*';
}

/**
 * The stages of every phase, in the order they run: the one declaration of the order between hooks.
 * - `guard`: refusals that must win over what the change would do (a held lot is refused for its
 *   hold: domain/quality/quality-hold.ts);
 * - `domain`: the engine's behaviour, the default: security's bookkeeping (principal invalidation,
 *   permission audit), the workflow's transition behaviour, the entities' domain hooks
 *   (`*.hooks.ts`), serial tests, studio;
 * - `automation`: rules and recurring jobs, which react to what the domain made of the change;
 * - `plugin`: plugin code (`api.hooks.beforeWrite` / `afterWrite`), after the core's;
 * - `record`: the writers of the change — its audit record, then its outbox events (in
 *   `inTransaction`) and the commit notification (in `after`) — which must see what every other
 *   hook did (a transition's `eventData`). Not run for a child row written through its parent
 *   (`nested`): the parent's record (its audit diff, its event's payload) is that row's, once.
 */
export const HOOK_STAGES = ['guard', 'domain', 'automation', 'plugin', 'record'] as const;
export type HookStage = (typeof HOOK_STAGES)[number];

const RECORD_RANK = HOOK_STAGES.indexOf('record');

export interface HookOptions {
  /** The stage the hook runs in; default the registry's (`domain` unless made with `inStage`). */
  stage?: HookStage;
}

interface Registration<P extends HookPhase> {
  selector: HookSelector;
  hook: Hook<P>;
  rank: number;
}

type Registrations = { [P in HookPhase]: Registration<P>[] };

export class HookRegistry {
  private readonly onAfterError: (error: unknown, args: AfterHookArgs) => void;
  private readonly hooks: Registrations;
  private readonly stage: HookStage;

  constructor(
    onAfterError: (error: unknown, args: AfterHookArgs) => void = () => undefined,
    shared?: { hooks: Registrations; stage: HookStage },
  ) {
    this.onAfterError = onAfterError;
    this.hooks = shared?.hooks ?? { before: [], inTransaction: [], after: [] };
    this.stage = shared?.stage ?? 'domain';
  }

  /**
   * The same registry, registering in `stage` by default: what bootstrap hands to code that
   * registers hooks of one stage (rules, plugins) without naming it at each registration.
   */
  inStage(stage: HookStage): HookRegistry {
    return new HookRegistry(this.onAfterError, { hooks: this.hooks, stage });
  }

  /**
   * Registers a hook; returns the function that removes it (plugin disable). Hooks run stage by
   * stage (`HOOK_STAGES`), within a stage in order of registration.
   */
  on<P extends HookPhase>(
    phase: P,
    selector: HookSelector,
    hook: Hook<P>,
    options: HookOptions = {},
  ): () => void {
    const rank = HOOK_STAGES.indexOf(options.stage ?? this.stage);
    const registration: Registration<P> = { selector, hook, rank };
    const list = this.hooks[phase] as Registration<P>[];
    const later = list.findIndex((r) => r.rank > rank);
    if (later < 0) list.push(registration);
    else list.splice(later, 0, registration);
    return () => {
      const index = list.indexOf(registration);
      if (index >= 0) list.splice(index, 1);
    };
  }

  async run<P extends HookPhase>(phase: P, args: HookArgsByPhase[P]): Promise<void> {
    const list = this.hooks[phase] as Registration<P>[];
    for (const { selector, hook, rank } of list) {
      if (selector.entity !== '*' && selector.entity !== args.entity) continue;
      if (selector.action !== '*' && selector.action !== args.action) continue;
      if (args.nested && rank >= RECORD_RANK) continue;
      if (phase !== 'after') {
        await hook(args);
        continue;
      }
      try {
        await hook(args);
      } catch (error) {
        this.onAfterError(error, args as AfterHookArgs);
      }
    }
  }

  /**
   * Whether any hook of the phase could apply, so the service can skip building their arguments;
   * `nested`: to a child row written through its parent (no `record` stage).
   */
  has(phase: HookPhase, entity: string, action: WriteAction, nested = false): boolean {
    return this.hooks[phase].some(
      ({ selector, rank }) =>
        !(nested && rank >= RECORD_RANK) &&
        (selector.entity === '*' || selector.entity === entity) &&
        (selector.action === '*' || selector.action === action),
    );
  }
}
