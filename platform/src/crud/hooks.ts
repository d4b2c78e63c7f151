import type { SqlExecutor } from '../data/database';
import type { EntityRecord, RequestContext } from './types';

/**
 * Extension point of every write (ARCHITECTURE.md §5): workflow, domain behaviour, audit, outbox
 * and plugins register here; EntityService runs them in order of registration.
 *
 * - `before`: after validation, before the transaction. May change `body` or throw an ApiError.
 * - `inTransaction`: after the row is written, inside its transaction (audit rows, outbox events);
 *   throwing rolls the write back.
 * - `after`: after commit (notifications, caches). Errors are the hook's own business: the write has
 *   happened, so they are reported to `onAfterError` instead of failing the request.
 */
export type WriteAction = 'create' | 'update' | 'delete' | 'restore';

export interface HookBase {
  entity: string;
  action: WriteAction;
  ctx: RequestContext;
}

export interface BeforeHookArgs extends HookBase {
  /** The validated request body (create/update); `{}` for delete and restore. */
  body: EntityRecord;
  /** The stored record for update, delete and restore; null for create. */
  current: EntityRecord | null;
  /** The row's id; null for create. */
  id: number | null;
}

export interface InTransactionHookArgs extends HookBase {
  tx: SqlExecutor;
  record: EntityRecord;
  previous: EntityRecord | null;
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
   * Run after the phase's other hooks. For in-transaction hooks that lock a row every write shares
   * (the tenant's audit chain head): running last holds that lock for the fewest statements before
   * commit, which bounds the throughput of all writes.
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
