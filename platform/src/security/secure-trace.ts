import type { EntityOperations, RequestContext } from '../crud/types';
import type { ImpactReport } from '../trace/impact-report';
import type { DetailedTraceReport, TraceOperations } from '../trace/trace-operations';
import type { TraceDirection } from '../trace/trace-query';
import {
  authorizeTrace,
  isTraceNode,
  redactTraceReport,
  scopedTraceKinds,
} from './authorization/trace-access';
import type { SecureContext } from './principal';
import { principalOf } from './secure-operations';

/** Node keys looked up per statement when checking which nodes lie in the caller's row scope. */
const KEYS_PER_QUERY = 500;

/**
 * The trace engine with the security steps around it: a context without a principal is refused (401);
 * a trace needs read on serials and lots and on the start kind, the impact report `trace:analyse` and
 * read on shipments (403 naming the first missing permission, before anything is read); and the
 * report leaves out the nodes of kinds the caller may not read and of records outside its row scope,
 * with the edges that touch them.
 */
export class SecureTraceOperations {
  constructor(
    private readonly inner: TraceOperations,
    /** The secured entity operations, which add the caller's row scope to the lookups of node keys. */
    private readonly operations: EntityOperations,
  ) {}

  async trace(
    ctx: RequestContext,
    direction: TraceDirection,
    query: Readonly<Record<string, unknown>>,
  ): Promise<DetailedTraceReport> {
    const secure = secureContextOf(ctx);
    authorizeTrace(secure.principal, secure.model, query, direction);
    return this.redacted(secure, await this.inner.trace(secure, direction, query));
  }

  async impact(ctx: RequestContext, query: Readonly<Record<string, unknown>>): Promise<ImpactReport> {
    const secure = secureContextOf(ctx);
    authorizeTrace(secure.principal, secure.model, query, 'impact');
    // The report counts serials and lots from the walk, so the walk is narrowed before it is counted.
    return this.inner.impact(secure, query, (trace) => this.redacted(secure, trace));
  }

  private async redacted<T extends object>(ctx: SecureContext, report: T): Promise<T> {
    const values = report as Record<string, unknown>;
    const outOfScope = await this.nodesOutOfScope(ctx, values);
    return redactTraceReport(ctx.principal, ctx.model, values, outOfScope) as T;
  }

  /**
   * Ids of the trace nodes whose records lie outside the caller's row scope: for each kind read under
   * a restricted scope, the node keys are looked up through the secured list (which adds the scope);
   * keys it does not return, and nodes of such kinds that carry no record key, are out of scope.
   */
  private async nodesOutOfScope(ctx: SecureContext, report: Record<string, unknown>): Promise<Set<string>> {
    const outOfScope = new Set<string>();
    const graph = report.graph as { nodes?: unknown } | undefined;
    const nodes = Array.isArray(graph?.nodes) ? graph.nodes.filter(isTraceNode) : [];
    for (const [kind, scoped] of scopedTraceKinds(ctx.principal, ctx.model)) {
      const ofKind = nodes.filter((node) => node.kind === kind);
      if (ofKind.length === 0) continue;
      const keyField = scoped.keyField;
      if (keyField === null) {
        for (const node of ofKind) outOfScope.add(node.id);
        continue;
      }
      const inScope = new Set<string>();
      for (let start = 0; start < ofKind.length; start += KEYS_PER_QUERY) {
        const keys = ofKind.slice(start, start + KEYS_PER_QUERY).map((node) => node.key);
        const query = this.operations.parseListQuery(
          scoped.entity,
          { fields: keyField, pageSize: String(KEYS_PER_QUERY), count: 'none' },
          ctx.model,
        );
        const page = await this.operations.list(
          scoped.entity,
          { ...query, filter: { kind: 'and', conditions: [{ field: keyField, op: 'in', value: keys }] } },
          ctx,
        );
        for (const row of page.items) inScope.add(String(row[keyField]));
      }
      for (const node of ofKind) if (!inScope.has(node.key)) outOfScope.add(node.id);
    }
    return outOfScope;
  }
}

function secureContextOf(ctx: RequestContext): SecureContext {
  return { ...ctx, principal: principalOf(ctx) };
}
