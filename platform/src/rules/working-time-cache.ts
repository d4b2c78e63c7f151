/**
 * The tenants' working time (calendars, their days, shifts) kept for a second by one engine. Rules
 * with `working` values read it on nearly every write they check, and it changes rarely:
 * - a write of a calendar, a calendar day or a shift through this engine drops it when it commits,
 *   and until then the writing transaction reads its own, uncommitted working time;
 * - a read that started before such a drop is not kept;
 * - a change made through another instance is seen within `WORKING_TIME_TTL_MS`.
 */
import type { Model } from '../../../metadata/src/model';
import type { WorkingTime } from '../bi/calendar-store';
import type { HookRegistry } from '../crud/hooks';
import type { RequestContext } from '../crud/types';
import type { SqlExecutor } from '../data/database';

export const WORKING_TIME_TTL_MS = 1000;

/** The entities whose rows make up the working time (their many-links change with them). */
const WORKING_TIME_ENTITIES = ['calendar', 'calendar_day', 'shift'];

interface Kept {
  model: Model;
  until: number;
  value: WorkingTime;
}

export class WorkingTimeCache {
  private readonly tenants = new Map<string, Kept>();
  /** Transactions that changed working time: they read their own. */
  private readonly changing = new WeakSet<SqlExecutor>();
  /** Counts drops, so that a read that overlapped one is not kept. */
  private drops = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether `tx` would be answered from the cache (nothing needs to be read ahead). */
  has(tx: SqlExecutor, ctx: RequestContext): boolean {
    return this.kept(tx, ctx) !== null;
  }

  /** The tenant's working time for a read in `tx`: kept, or loaded (and kept when it may be). */
  async read(tx: SqlExecutor, ctx: RequestContext, load: () => Promise<WorkingTime>): Promise<WorkingTime> {
    const kept = this.kept(tx, ctx);
    if (kept) return kept;
    const drops = this.drops;
    const value = await load();
    if (drops === this.drops && !this.changing.has(tx))
      this.tenants.set(ctx.tenantId, { model: ctx.model, until: this.now() + WORKING_TIME_TTL_MS, value });
    return value;
  }

  register(hooks: HookRegistry): void {
    for (const entity of WORKING_TIME_ENTITIES) {
      hooks.on('inTransaction', { entity, action: '*' }, ({ tx, ctx }) => {
        this.changing.add(tx);
        this.drop(ctx.tenantId);
      });
      hooks.on('after', { entity, action: '*' }, ({ ctx }) => this.drop(ctx.tenantId));
    }
  }

  private kept(tx: SqlExecutor, ctx: RequestContext): WorkingTime | null {
    if (this.changing.has(tx)) return null;
    const kept = this.tenants.get(ctx.tenantId);
    return kept && kept.model === ctx.model && kept.until > this.now() ? kept.value : null;
  }

  private drop(tenantId: string): void {
    this.drops += 1;
    this.tenants.delete(tenantId);
  }
}
