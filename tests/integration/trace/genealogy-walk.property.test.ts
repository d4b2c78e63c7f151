import fc from 'fast-check';
import type { SqlExecutor } from '../../../platform/src/data/database';
import { writeGenealogy, type GenealogyEdge } from '../../../platform/src/trace/genealogy';
import { traceGenealogy, type TraceDirection } from '../../../platform/src/trace/trace-query';
import { openPlatformDatabase, type TestDatabase } from '../../support/platform-database';

/**
 * Forward and backward traces over random genealogies (diamonds, cycles, self-loops, repeated edges,
 * a second tenant with the same node keys) answer exactly what a breadth-first walk with hand-written
 * SQL, one level per statement, reaches: every edge at the shortest depth of the node it leaves, every
 * node at its shortest distance from the start, nothing of the other tenant, nothing beyond the depth.
 */
const NODES = ['SLOT:S1', 'SLOT:S2', 'LOT:L1', 'LOT:L2', 'LOT:L3', 'SN:A', 'SN:B', 'BOX:B1', 'PLT:P1'];
const RELATIONS = ['CONSUMED', 'PRODUCED', 'PACKED'];

interface Walk {
  edges: GenealogyEdge[];
  /** Edges of another tenant over the same node keys: never part of an answer. */
  foreign: GenealogyEdge[];
  start: string;
  direction: TraceDirection;
  depth: number;
}

const edge = fc.record<GenealogyEdge>({
  from: fc.constantFrom(...NODES),
  to: fc.constantFrom(...NODES),
  relation: fc.constantFrom(...RELATIONS),
});
const walk = fc.record<Walk>({
  edges: fc.array(edge, { maxLength: 18 }),
  foreign: fc.array(edge, { maxLength: 6 }),
  // Also a node no edge touches: the answer is the start alone.
  start: fc.constantFrom(...NODES, 'SN:NONE'),
  direction: fc.constantFrom<TraceDirection>('forward', 'reverse'),
  depth: fc.integer({ min: 1, max: 6 }),
});

/** What the trace must answer, walked level by level with plain SQL. */
async function expectedWalk(
  sql: SqlExecutor,
  tenant: string,
  w: Walk,
): Promise<{ edges: Map<string, number>; nodes: Map<string, number> }> {
  const [near, far] = w.direction === 'reverse' ? ['to_key', 'from_key'] : ['from_key', 'to_key'];
  const nodes = new Map<string, number>([[w.start, 0]]);
  const edges = new Map<string, number>();
  let frontier = [w.start];
  for (let depth = 1; depth <= w.depth && frontier.length > 0; depth++) {
    const rows = await sql.query<Record<string, string>>(
      `SELECT DISTINCT from_key, to_key, relation FROM trace_genealogy
        WHERE tenant_id = ? AND ${near} IN (${frontier.map(() => '?').join(', ')})`,
      [tenant, ...frontier],
    );
    const next: string[] = [];
    for (const row of rows) {
      const key = `${row.from_key}>${row.to_key}>${row.relation}`;
      if (!edges.has(key)) edges.set(key, depth);
      const reached = row[far]!;
      if (!nodes.has(reached)) {
        nodes.set(reached, depth);
        next.push(reached);
      }
    }
    frontier = next;
  }
  return { edges, nodes };
}

describe('genealogy trace against a level-by-level SQL walk (sqlite)', () => {
  let db: TestDatabase;
  let runs = 0;

  beforeAll(async () => {
    db = await openPlatformDatabase('sqlite', 'trace_walk');
  });
  afterAll(() => db.drop());

  async function seed(w: Walk): Promise<string> {
    runs += 1;
    const tenant = `T${runs}`;
    await db.db.transaction(async (tx) => {
      await writeGenealogy(tx, tenant, w.edges);
      await writeGenealogy(tx, `F${runs}`, w.foreign);
    });
    return tenant;
  }

  it('answers every edge and node the walk reaches, each at its shortest depth', async () => {
    await fc.assert(
      fc.asyncProperty(walk, async (w) => {
        const tenant = await seed(w);
        const sql = db.db.executor();
        const expected = await expectedWalk(sql, tenant, w);
        const graph = await traceGenealogy(sql, {
          tenant,
          start: w.start,
          direction: w.direction,
          maxDepth: w.depth,
        });
        expect(graph.truncated).toBe(false);
        expect(graph.depthLimit).toBe(w.depth);
        expect(new Map(graph.edges.map((e) => [`${e.from}>${e.to}>${e.relation}`, e.depth]))).toEqual(
          expected.edges,
        );
        expect(graph.edges).toHaveLength(expected.edges.size);
        expect(new Map(graph.nodes.map((n) => [n.id, n.depth]))).toEqual(expected.nodes);
        expect(graph.nodes).toHaveLength(expected.nodes.size);
      }),
      { numRuns: 80 },
    );
  });

  it('cut at the edge limit, answers that many of the walk’s edges and says it was cut', async () => {
    await fc.assert(
      fc.asyncProperty(walk, fc.integer({ min: 1, max: 6 }), async (w, maxEdges) => {
        const tenant = await seed(w);
        const sql = db.db.executor();
        const expected = await expectedWalk(sql, tenant, w);
        const graph = await traceGenealogy(sql, {
          tenant,
          start: w.start,
          direction: w.direction,
          maxDepth: w.depth,
          maxEdges,
        });
        expect(graph.truncated).toBe(expected.edges.size > maxEdges);
        expect(graph.edges).toHaveLength(Math.min(expected.edges.size, maxEdges));
        for (const e of graph.edges)
          expect([`${e.from}>${e.to}>${e.relation}`, e.depth]).toEqual([
            `${e.from}>${e.to}>${e.relation}`,
            expected.edges.get(`${e.from}>${e.to}>${e.relation}`),
          ]);
      }),
      { numRuns: 40 },
    );
  });
});
