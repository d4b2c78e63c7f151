import { ApiError } from '../../../platform/src/crud/errors';
import { writeGenealogy, type GenealogyEdge } from '../../../platform/src/trace/genealogy';
import { traceGenealogy } from '../../../platform/src/trace/trace-query';
import { traceReport } from '../../../platform/src/trace/trace-service';
import { openPlatformDatabase, type TestDatabase } from '../../support/platform-database';
import { TEST_DIALECTS } from '../../support/test-dialects';

const edge = (from: string, to: string, relation: string): GenealogyEdge => ({ from, to, relation });

/**
 * Supplier lot S1 feeds lots L1 and L2, both of which went into serial A (a diamond); L2 also made B;
 * A and B share box B1 → pallet P1 → shipment X1. Lots L3 ⇄ L4 form a rework cycle fed by S3 and
 * producing C. Tenant t2 has an edge from a node with the same key that must never show up.
 */
const genealogy: GenealogyEdge[] = [
  edge('SLOT:S1', 'LOT:L1', 'CONSUMED'),
  edge('SLOT:S2', 'LOT:L1', 'CONSUMED'),
  edge('SLOT:S1', 'LOT:L2', 'CONSUMED'),
  edge('LOT:L1', 'SN:A', 'PRODUCED'),
  edge('LOT:L2', 'SN:A', 'PRODUCED'),
  edge('LOT:L2', 'SN:B', 'PRODUCED'),
  edge('SN:A', 'BOX:B1', 'PACKED'),
  edge('SN:B', 'BOX:B1', 'PACKED'),
  edge('BOX:B1', 'PLT:P1', 'PACKED'),
  edge('PLT:P1', 'SHP:X1', 'SHIPPED'),
  edge('SLOT:S3', 'LOT:L3', 'CONSUMED'),
  edge('LOT:L3', 'LOT:L4', 'REWORKED'),
  edge('LOT:L4', 'LOT:L3', 'REWORKED'),
  edge('LOT:L4', 'SN:C', 'PRODUCED'),
];

describe.each(TEST_DIALECTS)('genealogy trace on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openPlatformDatabase(dialect, 'trace');
    await db.db.transaction(async (tx) => {
      await writeGenealogy(tx, 't1', genealogy);
      await writeGenealogy(tx, 't2', [edge('SLOT:S1', 'LOT:Z', 'CONSUMED')]);
    });
  });
  afterAll(() => db.drop());

  const depths = (nodes: { id: string; depth: number }[]) =>
    Object.fromEntries(nodes.map((n) => [n.id, n.depth]));

  it('reverse trace of a serial reaches every lot and supplier lot once through the diamond', async () => {
    const graph = await traceGenealogy(db.db.executor(), {
      tenant: 't1',
      start: 'SN:A',
      direction: 'reverse',
    });
    expect(depths(graph.nodes)).toEqual({ 'SN:A': 0, 'LOT:L1': 1, 'LOT:L2': 1, 'SLOT:S1': 2, 'SLOT:S2': 2 });
    expect(graph.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(
      ['LOT:L1>SN:A', 'LOT:L2>SN:A', 'SLOT:S1>LOT:L1', 'SLOT:S1>LOT:L2', 'SLOT:S2>LOT:L1'].sort(),
    );
    expect(graph.truncated).toBe(false);
  });

  it('forward trace of a supplier lot reaches serials, box, pallet and shipment, within its tenant only', async () => {
    const graph = await traceGenealogy(db.db.executor(), {
      tenant: 't1',
      start: 'SLOT:S1',
      direction: 'forward',
    });
    expect(depths(graph.nodes)).toEqual({
      'SLOT:S1': 0,
      'LOT:L1': 1,
      'LOT:L2': 1,
      'SN:A': 2,
      'SN:B': 2,
      'BOX:B1': 3,
      'PLT:P1': 4,
      'SHP:X1': 5,
    });
  });

  it('terminates on a cycle and keeps each node at its shortest depth', async () => {
    const graph = await traceGenealogy(db.db.executor(), {
      tenant: 't1',
      start: 'SN:C',
      direction: 'reverse',
    });
    expect(depths(graph.nodes)).toEqual({ 'SN:C': 0, 'LOT:L4': 1, 'LOT:L3': 2, 'SLOT:S3': 3 });
    expect(graph.edges).toHaveLength(4);
  });

  it('honours the depth limit and marks a result cut at the edge limit as truncated', async () => {
    const shallow = await traceGenealogy(db.db.executor(), {
      tenant: 't1',
      start: 'SN:A',
      direction: 'reverse',
      maxDepth: 1,
    });
    expect(depths(shallow.nodes)).toEqual({ 'SN:A': 0, 'LOT:L1': 1, 'LOT:L2': 1 });
    const cut = await traceGenealogy(db.db.executor(), {
      tenant: 't1',
      start: 'SLOT:S1',
      direction: 'forward',
      maxEdges: 2,
    });
    expect(cut.truncated).toBe(true);
    expect(cut.edges).toHaveLength(2);
  });

  it('groups a report by kind from the API parameters', async () => {
    const reverse = await traceReport(db.db.executor(), {
      tenant: 't1',
      direction: 'reverse',
      query: { boxNo: 'B1' },
    });
    expect(reverse.start).toBe('BOX:B1');
    expect(reverse.serials.map((n) => n.key).sort()).toEqual(['A', 'B']);
    expect(reverse.supplierLots.map((n) => n.key).sort()).toEqual(['S1', 'S2']);
    const forward = await traceReport(db.db.executor(), {
      tenant: 't1',
      direction: 'forward',
      query: { lotId: 'S1' },
    });
    expect(forward.start).toBe('SLOT:S1');
    expect(forward.shipments.map((n) => n.key)).toEqual(['X1']);
    expect(forward.graph.nodes).toHaveLength(8);
  });

  it('refuses ambiguous or unknown starts with clear 4xx errors', async () => {
    const status = (query: Record<string, unknown>) =>
      traceReport(db.db.executor(), { tenant: 't1', direction: 'reverse', query }).then(
        () => 200,
        (error: unknown) => (error instanceof ApiError ? error.httpStatus : 500),
      );
    expect(await status({})).toBe(400);
    expect(await status({ sn: 'A', boxNo: 'B1' })).toBe(400);
    expect(await status({ sn: 'A', depth: '0' })).toBe(400);
    expect(await status({ sn: 'NOPE' })).toBe(404);
  });
});
