import fc from 'fast-check';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import { compileModel, type Model } from '../../../metadata/src/model';
import type { DataScope, EntityDef, FieldDef, RoleDef } from '../../../metadata/src/types';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { ForbiddenError } from '../../../platform/src/crud/errors';
import type { EntityOperations, EntityRecord, RequestContext } from '../../../platform/src/crud/types';
import type { SqlExecutor } from '../../../platform/src/data/database';
import type { Principal, SecureContext } from '../../../platform/src/security/principal';
import { SecureEntityOperations } from '../../../platform/src/security/secure-operations';
import { SecureTraceOperations } from '../../../platform/src/security/secure-trace';
import { writeGenealogy, type GenealogyEdge } from '../../../platform/src/trace/genealogy';
import { TraceOperations } from '../../../platform/src/trace/trace-operations';
import type { TraceDirection } from '../../../platform/src/trace/trace-query';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { metadataSet } from '../../fixtures/engine/plant-metadata';

/**
 * Reverse and forward traces, run through the secure trace decorator as a caller with random row
 * scopes on serials, lots and work orders over random genealogies, answer exactly the nodes a
 * reference computes: the genealogy walked level by level with plain SQL, then each node kept only
 * when its kind is readable and its record is among the rows that hand-written scope-filtered SQL
 * selects — no node outside the scope, none inside it missing, and only the edges between kept nodes.
 */
const USERS = ['u1', 'u2', 'u3'];
const LINES = ['L1', 'L2', 'L3'];
/** Node kinds without an entity in this plant: never shown. */
const SUPPLIER_LOTS = ['SLOT:S1', 'SLOT:S2'];
/** A lot the genealogy names but no record holds: shown only to a caller reading every lot. */
const GHOST_LOT = 'LOT:GHOST';
const RELATIONS = ['CONSUMED', 'PRODUCED', 'ISSUED'];

const t = (en: string) => ({ en, zh: en });
type WithoutLabel<T> = T extends unknown ? Omit<T, 'label'> : never;
const f = (field: WithoutLabel<FieldDef>): FieldDef => ({ label: t('field'), ...field }) as FieldDef;
const entity = (def: Omit<EntityDef, 'label' | 'module'>): EntityDef => ({
  label: t(def.entity),
  module: 'test',
  ...def,
});
const grade = f({ type: 'integer', min: 0, max: 9, required: true });

/** Serials, lots and work orders (a line on lots and orders, none on serials), as the trace reads them. */
const TRACE_ENTITIES: EntityDef[] = [
  entity({
    entity: 'production_line',
    display: 'line_code',
    businessKey: 'line_code',
    fields: { line_code: f({ type: 'string', length: 8, required: true, unique: true }) },
  }),
  entity({
    entity: 'item_master',
    display: 'name',
    fields: { name: f({ type: 'string', length: 64, required: true }) },
  }),
  entity({
    entity: 'work_order',
    display: 'wo_no',
    identifier: { field: 'wo_no', pattern: 'WO-{seq:4}' },
    fields: {
      wo_no: f({ type: 'string', length: 32, unique: true, readonly: true }),
      line: f({ type: 'relation', to: 'production_line', required: true }),
      grade,
    },
  }),
  entity({
    entity: 'production_lot',
    display: 'lot_no',
    identifier: { field: 'lot_no', pattern: 'LOT-{seq:4}' },
    fields: {
      lot_no: f({ type: 'string', length: 32, unique: true, readonly: true }),
      line: f({ type: 'relation', to: 'production_line', required: true }),
      work_order: f({ type: 'relation', to: 'work_order' }),
      grade,
    },
  }),
  entity({
    entity: 'serial_number',
    display: 'sn',
    identifier: { field: 'sn', pattern: 'SN-{seq:5}' },
    fields: {
      sn: f({ type: 'string', length: 32, unique: true, readonly: true }),
      lot: f({ type: 'relation', to: 'production_lot' }),
      item: f({ type: 'relation', to: 'item_master' }),
      work_order: f({ type: 'relation', to: 'work_order' }),
      grade,
    },
  }),
  entity({
    entity: 'shipment',
    display: 'shipment_no',
    identifier: { field: 'shipment_no', pattern: 'SHP-{seq:4}' },
    fields: { shipment_no: f({ type: 'string', length: 32, unique: true, readonly: true }) },
  }),
];

type ScopeKind = 'all' | 'own' | 'line' | 'filter';
interface Scoped {
  kind: ScopeKind;
  /** The filter scope: `grade >= minGrade`. */
  minGrade: number;
}
interface Caller {
  userId: string;
  lines: number[];
  serial: Scoped;
  lot: Scoped;
  /** null: the caller may not read work orders at all. */
  workOrder: Scoped | null;
}
interface RecordSpec {
  creator: number;
  line: number;
  grade: number;
}
interface Genealogy {
  workOrders: RecordSpec[];
  lots: RecordSpec[];
  serials: RecordSpec[];
  /** Edges between node indexes of `nodesOf`, resolved once the records' keys are known. */
  edges: { from: number; to: number; relation: string }[];
  start: number;
  direction: TraceDirection;
}

const scoped = fc.record<Scoped>({
  kind: fc.constantFrom<ScopeKind>('all', 'own', 'line', 'filter'),
  minGrade: fc.integer({ min: 0, max: 9 }),
});
const caller = fc.record<Caller>({
  userId: fc.constantFrom(...USERS),
  lines: fc.subarray([0, 1, 2]),
  serial: scoped,
  lot: scoped,
  workOrder: fc.option(scoped, { nil: null, freq: 4 }),
});
const record = fc.record<RecordSpec>({
  creator: fc.integer({ min: 0, max: USERS.length - 1 }),
  line: fc.integer({ min: 0, max: LINES.length - 1 }),
  grade: fc.integer({ min: 0, max: 9 }),
});
const NODE_SLOTS = 16;
const genealogy = fc.record<Genealogy>({
  workOrders: fc.array(record, { maxLength: 3 }),
  lots: fc.array(record, { minLength: 1, maxLength: 4 }),
  serials: fc.array(record, { maxLength: 5 }),
  // Indexes wrap around the nodes there are: diamonds, cycles, self-loops and repeats all occur.
  edges: fc.array(
    fc.record({
      from: fc.nat(NODE_SLOTS),
      to: fc.nat(NODE_SLOTS),
      relation: fc.constantFrom(...RELATIONS),
    }),
    { minLength: 3, maxLength: 20 },
  ),
  start: fc.nat(NODE_SLOTS),
  direction: fc.constantFrom<TraceDirection>('reverse', 'forward'),
});

function scopeOf(s: Scoped): DataScope {
  return s.kind === 'filter' ? { filter: `grade >= ${s.minGrade}` } : s.kind;
}

function modelFor(c: Caller): Model {
  const role: RoleDef = {
    role: 'tracer',
    label: t('Tracer'),
    permissions: [
      'serial_number:read',
      'production_lot:read',
      'shipment:read',
      'trace:analyse',
      ...(c.workOrder ? ['work_order:read'] : []),
    ],
    dataScopes: {
      serial_number: scopeOf(c.serial),
      production_lot: scopeOf(c.lot),
      ...(c.workOrder ? { work_order: scopeOf(c.workOrder) } : {}),
    },
  };
  const set = metadataSet(TRACE_ENTITIES);
  set.roles.set(role.role, role);
  return compileModel(set, { version: 1, extensionFields: [] });
}

/** The row condition of a scope, by hand; `line` on a table without a line column is the own rows. */
function scopeSql(
  s: Scoped,
  c: Caller,
  lineIds: number[],
  hasLine: boolean,
): { sql: string; params: unknown[] } {
  if (s.kind === 'all') return { sql: '1=1', params: [] };
  if (s.kind === 'filter') return { sql: 'grade >= ?', params: [s.minGrade] };
  if (s.kind === 'line' && hasLine) {
    const mine = c.lines.map((i) => lineIds[i]);
    return mine.length === 0
      ? { sql: '1=0', params: [] }
      : { sql: `line_id IN (${mine.map(() => '?').join(', ')})`, params: mine };
  }
  return { sql: 'created_by = ?', params: [c.userId] };
}

/** The node keys of a table's rows inside the scope: null when the scope grants every node. */
async function keysInScope(
  exec: SqlExecutor,
  table: string,
  keyColumn: string,
  tenantId: string,
  scope: Scoped,
  c: Caller,
  lineIds: number[],
  hasLine: boolean,
): Promise<Set<string> | null> {
  if (scope.kind === 'all') return null;
  const condition = scopeSql(scope, c, lineIds, hasLine);
  const rows = await exec.query<Record<string, string>>(
    `SELECT ${keyColumn} AS node_key FROM ${table} WHERE tenant_id = ? AND ${condition.sql}`,
    [tenantId, ...condition.params],
  );
  return new Set(rows.map((row) => String(row.node_key)));
}

/** Every node and edge the walk reaches from the start, level by level with plain SQL. */
async function walked(
  exec: SqlExecutor,
  tenantId: string,
  start: string,
  direction: TraceDirection,
): Promise<{ nodes: Map<string, number>; edges: Set<string> }> {
  const [near, far] = direction === 'reverse' ? ['to_key', 'from_key'] : ['from_key', 'to_key'];
  const nodes = new Map<string, number>([[start, 0]]);
  const edges = new Set<string>();
  let frontier = [start];
  for (let depth = 1; frontier.length > 0; depth++) {
    const rows = await exec.query<Record<string, string>>(
      `SELECT DISTINCT from_key, to_key, relation FROM trace_genealogy
        WHERE tenant_id = ? AND ${near} IN (${frontier.map(() => '?').join(', ')})`,
      [tenantId, ...frontier],
    );
    const next: string[] = [];
    for (const row of rows) {
      edges.add(`${row.from_key}>${row.to_key}>${row.relation}`);
      const reached = row[far]!;
      if (!nodes.has(reached)) {
        nodes.set(reached, depth);
        next.push(reached);
      }
    }
    frontier = next;
  }
  return { nodes, edges };
}

/** Details of entities this plant lacks read as forbidden, as for a caller without their permission. */
function plantOnly(operations: EntityOperations): EntityOperations {
  return Object.create(operations, {
    parseListQuery: {
      value: (name: string, raw: Record<string, unknown>, model: Model) => {
        if (!model.entities.has(name)) throw new ForbiddenError(`Permission '${name}:read' required`);
        return operations.parseListQuery(name, raw, model);
      },
    },
  }) as EntityOperations;
}

const GROUPS: Record<string, string> = { SN: 'serials', LOT: 'lots', WO: 'workOrders', SLOT: 'supplierLots' };

describe.each(ENGINE_DIALECTS)('trace answers are scope-filtered by SQL (%s)', (dialect) => {
  let database: EngineTestDatabase;
  let service: EntityService;
  let tenants = 0;

  beforeAll(async () => {
    database = await openEngineDatabase(dialect, 'trace_scope', modelFor(fc.sample(caller, 1)[0]!));
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    service = new EntityService(database.db);
  });
  afterAll(() => database.drop());

  /** Creates the records and the genealogy; answers the line ids and every node key, in slot order. */
  async function seed(g: Genealogy, model: Model, tenantId: string) {
    const as = (index: number): RequestContext => ({
      tenantId,
      userId: USERS[index]!,
      traceId: 'trace-scope',
      model,
    });
    const create = async (name: string, index: number, body: EntityRecord) =>
      service.create(name, body, as(index));
    const lineIds: number[] = [];
    for (const code of LINES)
      lineIds.push((await create('production_line', 0, { lineCode: code })).id as number);
    const orders: EntityRecord[] = [];
    for (const o of g.workOrders)
      orders.push(await create('work_order', o.creator, { lineId: lineIds[o.line], grade: o.grade }));
    const lots: EntityRecord[] = [];
    for (const [i, l] of g.lots.entries())
      lots.push(
        await create('production_lot', l.creator, {
          lineId: lineIds[l.line],
          grade: l.grade,
          workOrderId: orders.length > 0 ? orders[i % orders.length]!.id : null,
        }),
      );
    const serials: EntityRecord[] = [];
    for (const [i, s] of g.serials.entries())
      serials.push(
        await create('serial_number', s.creator, {
          lotId: lots[i % lots.length]!.id,
          grade: s.grade,
        }),
      );
    const nodes = [
      ...serials.map((s) => `SN:${String(s.sn)}`),
      ...lots.map((l) => `LOT:${String(l.lotNo)}`),
      ...orders.map((o) => `WO:${String(o.woNo)}`),
      ...SUPPLIER_LOTS,
      GHOST_LOT,
    ];
    const node = (slot: number) => nodes[slot % nodes.length]!;
    const edges: GenealogyEdge[] = g.edges.map((e) => ({
      from: node(e.from),
      to: node(e.to),
      relation: e.relation,
    }));
    await database.db.transaction((tx) => writeGenealogy(tx, tenantId, edges));
    // The start is a serial or lot the genealogy holds (a trace of a node it lacks is a 404).
    const startable = edges
      .flatMap((e) => [e.from, e.to])
      .filter((key) => key.startsWith('SN:') || key.startsWith('LOT:'));
    return { lineIds, start: startable.length === 0 ? null : startable[g.start % startable.length]! };
  }

  function contextOf(c: Caller, model: Model, tenantId: string, lineIds: number[]): SecureContext {
    const principal: Principal = {
      userId: c.userId,
      username: c.userId,
      tenantId,
      roles: ['tracer'],
      grantedPermissions: [],
      departmentIds: [],
      departmentTreeIds: [],
      lineIds: c.lines.map((i) => lineIds[i]!),
      plantIds: [],
      supplierId: null,
    };
    return { tenantId, userId: c.userId, traceId: 'trace-scope', model, principal };
  }

  /** The walked nodes the caller may see: a readable kind and, under a restricted scope, a record in it. */
  async function visibleNodes(c: Caller, tenantId: string, lineIds: number[], nodes: Iterable<string>) {
    const exec = database.db.executor();
    const inScope: Record<string, Set<string> | null | false> = {
      SN: await keysInScope(exec, 'serial_number', 'sn', tenantId, c.serial, c, lineIds, false),
      LOT: await keysInScope(exec, 'production_lot', 'lot_no', tenantId, c.lot, c, lineIds, true),
      WO: c.workOrder
        ? await keysInScope(exec, 'work_order', 'wo_no', tenantId, c.workOrder, c, lineIds, true)
        : false,
    };
    const visible = new Set<string>();
    for (const id of nodes) {
      const colon = id.indexOf(':');
      const keys = inScope[id.slice(0, colon)];
      if (keys === undefined || keys === false) continue;
      if (keys === null || keys.has(id.slice(colon + 1))) visible.add(id);
    }
    return visible;
  }

  /**
   * The genealogy seeded in a tenant of its own (`prefix` and a counter), the caller's context and
   * the secured trace engine; a genealogy without a start node is discarded (`fc.pre`).
   */
  async function scopedPlant(g: Genealogy, c: Caller, prefix: string) {
    tenants += 1;
    const tenantId = `${prefix}${tenants}`;
    const model = modelFor(c);
    const { lineIds, start } = await seed(g, model, tenantId);
    fc.pre(start !== null);
    const ctx = contextOf(c, model, tenantId, lineIds);
    const secure = new SecureEntityOperations(service);
    const traces = new SecureTraceOperations(
      new TraceOperations(database.db, plantOnly(secure), null),
      secure,
    );
    const colon = start!.indexOf(':');
    return {
      tenantId,
      lineIds,
      start: start!,
      ctx,
      traces,
      kind: start!.slice(0, colon),
      key: start!.slice(colon + 1),
    };
  }

  it('reverse and forward traces show exactly the walked nodes in scope and the edges between them', async () => {
    await fc.assert(
      fc.asyncProperty(genealogy, caller, async (g, c) => {
        const { tenantId, lineIds, start, ctx, traces, kind, key } = await scopedPlant(g, c, 'TS');
        const report = await traces.trace(ctx, g.direction, {
          [kind === 'SN' ? 'sn' : 'lotId']: key,
          depth: '50',
        });

        const exec = database.db.executor();
        const walk = await walked(exec, tenantId, start, g.direction);
        const visible = await visibleNodes(c, tenantId, lineIds, walk.nodes.keys());
        expect(report.truncated).toBe(false);
        expect(new Map(report.graph.nodes.map((n) => [n.id, n.depth]))).toEqual(
          new Map([...walk.nodes].filter(([id]) => visible.has(id))),
        );
        expect(report.graph.nodes).toHaveLength(visible.size);
        const between = [...walk.edges].filter((e) => {
          const [from, to] = e.split('>');
          return visible.has(from!) && visible.has(to!);
        });
        expect(report.graph.edges.map((e) => `${e.from}>${e.to}>${e.relation}`).sort()).toEqual(
          between.sort(),
        );
        for (const [nodeKind, group] of Object.entries(GROUPS)) {
          const shown = (report as unknown as Record<string, { id: string }[]>)
            [group]!.map((n) => n.id)
            .sort();
          const expected = [...visible].filter((id) => id.startsWith(`${nodeKind}:`) && id !== start).sort();
          expect([group, shown]).toEqual([group, expected]);
        }
        // The details list only the serials and lots in scope.
        expect(report.details.serials.map((s) => `SN:${s.sn}`).sort()).toEqual(
          [...visible].filter((id) => id.startsWith('SN:')).sort(),
        );
      }),
      { numRuns: 30 },
    );
  });

  it('the impact report names and counts only the lots and serials in scope', async () => {
    await fc.assert(
      fc.asyncProperty(genealogy, caller, async (g, c) => {
        const { tenantId, lineIds, start, ctx, traces, kind, key } = await scopedPlant(g, c, 'TI');
        const impact = await traces.impact(ctx, { [kind === 'SN' ? 'sn' : 'lotId']: key, depth: '50' });

        const walk = await walked(database.db.executor(), tenantId, start, 'forward');
        const visible = await visibleNodes(c, tenantId, lineIds, walk.nodes.keys());
        const lots = [...visible].filter((id) => id.startsWith('LOT:')).map((id) => id.slice(4));
        expect([...impact.lots].sort()).toEqual(lots.sort());
        expect(impact.affected.lots).toBe(lots.length);
        expect(impact.affected.serials).toBe([...visible].filter((id) => id.startsWith('SN:')).length);
      }),
      { numRuns: 25 },
    );
  });
});
