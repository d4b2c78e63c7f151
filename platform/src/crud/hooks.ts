import type { SqlExecutor } from '../data/database';
import type { EntityRecord, RequestContext } from './types';

/**
 * Extension point of every change to a record (docs/architecture.md, "The record-change path"):
 * CRUD, bulk, import, workflow transitions, domain rules, plugins and analyses all change records
 * through EntityService, which runs these hooks for each changed record:
 *
 * - `before`: inside the write's transaction, after the body is validated and the current record
 *   read (with the caller's row scope), before anything is written. May change `body` or throw an
 *   ApiError, which rolls the transaction back.
 * - `inTransaction`: after the row is written, inside the same transaction (domain side effects,
 *   then the outbox events and the audit record); throwing rolls the write back.
 * - `after`: once the transaction committed (notifications, caches). Errors are the hook's own
 *   business: the write has happened, so they are reported to `onAfterError` instead of failing
 *   the request.
 *
 * Within a phase, hooks run in order of registration; those registered with `runLast` (the outbox
 * and audit writers) after all others.
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

export interface HookOptions {
  /**
   * Run after the phase's other hooks: the writers of the change's records (outbox events, audit),
   * which must see what every other hook of the change did (e.g. a transition's `eventData`).
   */
  runLast?: boolean;
}

interface Registration<P extends HookPhase> {
  selector: HookSelector;
  hook: Hook<P>;
  runLast: boolean;
}

export class HookRegistry {
  private readonly hooks: { [P in HookPhase]: Registration<P>[] } = {
    before: [],
    inTransaction: [],
    after: [],
  };

  constructor(
    private readonly onAfterError: (error: unknown, args: AfterHookArgs) => void = () => undefined,
  ) {}

  /**
   * Registers a hook; returns the function that removes it (plugin disable). Hooks run in order of
   * registration, those registered with `runLast` after all others.
   */
  on<P extends HookPhase>(
    phase: P,
    selector: HookSelector,
    hook: Hook<P>,
    options: HookOptions = {},
  ): () => void {
    const registration: Registration<P> = { selector, hook, runLast: options.runLast ?? false };
    const list = this.hooks[phase] as Registration<P>[];
    const firstLast = list.findIndex((r) => r.runLast);
    if (registration.runLast || firstLast < 0) list.push(registration);
    else list.splice(firstLast, 0, registration);
    return () => {
      const index = list.indexOf(registration);
      if (index >= 0) list.splice(index, 1);
    };
  }

  async run<P extends HookPhase>(phase: P, args: HookArgsByPhase[P]): Promise<void> {
    const list = this.hooks[phase] as Registration<P>[];
    for (const { selector, hook } of list) {
      if (selector.entity !== '*' && selector.entity !== args.entity) continue;
      if (selector.action !== '*' && selector.action !== args.action) continue;
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

  /** Whether any hook of the phase could apply, so the service can skip building their arguments. */
  has(phase: HookPhase, entity: string, action: WriteAction): boolean {
    return this.hooks[phase].some(
      ({ selector }) =>
        (selector.entity === '*' || selector.entity === entity) &&
        (selector.action === '*' || selector.action === action),
    );
  }
}
