/**
 * The named handlers a scheduled job (`job` records, table `sys_job`) may run. A job names its
 * handler in `handler`; a name not registered here is refused on create and update (422 on
 * `handler`). The core registers the periodic work it has; a server embedding the engine (or a
 * test) may register more before or after start.
 */
import { sealAuditChains } from '../audit/audit-sealer';
import { verifyAuditChain } from '../audit/audit-verify';
import type { JobHandlerInfo } from '../contracts/jobs';
import type { EngineDatabase } from '../data/database';

export interface JobRunContext {
  tenantId: string;
  /** The job's `params` (JSON), or an empty object. */
  params: Record<string, unknown>;
  /** The occurrence being run (for run_now: the time it was asked for). */
  scheduledAt: Date;
  /** Aborted when the run times out or the scheduler stops. */
  signal: AbortSignal;
  database: EngineDatabase;
}

export interface JobHandler {
  description: string;
  /** The plugin offering the handler (its scheduled job); absent for the core's and the embedder's. */
  plugin?: string;
  /** One run; what it returns is kept as the run's result in the log. Throwing fails the run. */
  run(context: JobRunContext): Promise<unknown>;
}

export type { JobHandlerInfo };

export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register(name: string, handler: JobHandler): void {
    if (!/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/.test(name))
      throw new Error(`job handler name '${name}' must be dot-separated lower-case words`);
    if (this.handlers.has(name)) throw new Error(`job handler '${name}' is already registered`);
    this.handlers.set(name, handler);
  }

  unregister(name: string): void {
    this.handlers.delete(name);
  }

  get(name: string): JobHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Every handler by name, for the handler picker. */
  list(): JobHandlerInfo[] {
    return this.names().map((name) => {
      const handler = this.handlers.get(name)!;
      return { name, description: handler.description, plugin: handler.plugin ?? null };
    });
  }
}

/** Thrown by `audit.verify_chain` when the chain shows tampering: the run fails with the problems. */
export class AuditChainBrokenError extends Error {}

/** The handlers of the core: the periodic work the engine itself has. */
export function coreJobHandlers(): JobHandlers {
  const handlers = new JobHandlers();
  handlers.register('audit.seal', {
    description: "Links the tenant's committed, unsealed audit records into its hash chain",
    run: async ({ database, tenantId }) => ({ sealed: await sealAuditChains(database, tenantId) }),
  });
  handlers.register('audit.verify_chain', {
    description:
      "Seals, then recomputes the tenant's audit hash chain; fails naming the edited, re-linked or missing records",
    run: async ({ database, tenantId }) => {
      await sealAuditChains(database, tenantId);
      const result = await verifyAuditChain(database.executor(), tenantId);
      if (result.problems.length > 0)
        throw new AuditChainBrokenError(
          result.problems
            .slice(0, 20)
            .map((problem) => `seq ${problem.seq} ${problem.kind}: ${problem.message}`)
            .join('; '),
        );
      return { records: result.records, unsealed: result.unsealed };
    },
  });
  return handlers;
}
