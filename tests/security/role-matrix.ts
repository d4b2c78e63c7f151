/**
 * The role matrix: for every entity at its own path × action (list, get, create, update, delete,
 * export, import and each workflow action) × role, one real request, and whether the server's
 * answer agrees with what the role documents say. Denied is 403; allowed is any answer that is not
 * 401 or 403 (a 400/404/409/422 shows the permission check passed: authorization comes first); a 5xx
 * is always wrong.
 */
import type { CompiledEntity, CompiledField, Model } from '../../metadata/src/model';
import type { MatrixReply, MatrixRequest, MatrixServer } from './matrix-server';
import type { Requirement, RoleOracle } from './role-oracle';

export interface Cell {
  role: string;
  entity: string;
  /** `list`, `get`, …, or the workflow action. */
  action: string;
  need: Requirement;
  request: MatrixRequest;
}

export interface Outcome {
  entity: string;
  action: string;
  role: string;
  expected: 'allowed' | 'denied';
  status: number;
  message: string;
  /** The rule a refusal names (`errors[0].rule`), when it names one. */
  refusal?: string;
}

/** Who creates the workflow fixtures (see RecordFactory): the record's author for separation of duties. */
const FIXTURE_AUTHOR = 'admin';

/** An id no table reaches: writes and deletes check the permission before they look for the row. */
const ABSENT_ID = 2_000_000_000;
const IMPORT_FILE = 'matrix_unknown_column\nvalue\n';
const PARALLEL = 16;

/** Entities served at their own path (owned children are reached through their parent only). */
export function routedEntities(model: Model): CompiledEntity[] {
  return [...model.entities.values()].filter((entity) => !entity.owned);
}

/** Every workflow transition of the entity, across its workflows. */
export function transitionsOf(model: Model, entity: string) {
  return [...model.workflows.values()]
    .filter((workflow) => workflow.entity === entity)
    .flatMap((workflow) =>
      workflow.transitions.map((transition) => ({ field: workflow.field ?? 'status', transition })),
    );
}

/**
 * Records the matrix works on: for reads and updates the entity's first row (or an absent id when it
 * has none), and for each workflow action × role a row of its own in the action's first source
 * state, so no role's request changes the state another role's request sees.
 */
export interface Fixtures {
  recordOf: Map<string, number>;
  /** `<entity>:<action>:<role>` → record id. */
  workflowRecord: Map<string, number>;
}

export async function prepareFixtures(
  ms: MatrixServer,
  model: Model,
  entities: CompiledEntity[],
  roles: string[],
): Promise<Fixtures> {
  const recordOf = new Map<string, number>();
  const workflowRecord = new Map<string, number>();
  const factory = new RecordFactory(ms, model);
  for (const entity of entities) {
    recordOf.set(entity.name, (await factory.firstId(entity)) ?? ABSENT_ID);
    const transitions = transitionsOf(model, entity.name);
    if (transitions.length === 0) continue;
    const ids = await factory.create(entity, transitions.length * roles.length);
    let next = 0;
    for (const { field, transition } of transitions)
      for (const role of roles) {
        const id = ids[next++]!;
        const column = entity.fieldsByName.get(field)!.column!;
        // Set directly: reaching a state through the API would need each entity's business inputs.
        await ms.query(`UPDATE ${entity.table} SET ${column} = ? WHERE id = ?`, [transition.from[0], id]);
        workflowRecord.set(`${entity.name}:${transition.action}:${role}`, id);
      }
  }
  return { recordOf, workflowRecord };
}

export function buildCells(
  model: Model,
  fixtures: Fixtures,
  roles: string[],
  entities: CompiledEntity[] = routedEntities(model),
): Cell[] {
  const cells: Cell[] = [];
  for (const entity of entities) {
    const base = `/api/${entity.path}`;
    const record = `${base}/${fixtures.recordOf.get(entity.name) ?? ABSENT_ID}`;
    const requests: [string, Requirement, MatrixRequest][] = [
      ['list', crud(entity, 'list'), { method: 'GET', url: `${base}?pageSize=1&count=none` }],
      ['get', crud(entity, 'get'), { method: 'GET', url: record }],
      // Minimal bodies: a 400/422 from validation proves the permission check passed.
      ['create', crud(entity, 'create'), { method: 'POST', url: base, payload: {} }],
      ['update', crud(entity, 'update'), { method: 'PATCH', url: record, payload: {} }],
      ['delete', crud(entity, 'delete'), { method: 'DELETE', url: `${base}/${ABSENT_ID}` }],
      [
        'export',
        { kind: 'export', entity: entity.name },
        { method: 'GET', url: `${base}/export?format=csv` },
      ],
      [
        'import',
        { kind: 'import', entity: entity.name },
        {
          method: 'POST',
          url: `${base}/import`,
          payload: IMPORT_FILE,
          headers: { 'content-type': 'text/csv' },
        },
      ],
    ];
    for (const role of roles) {
      for (const [action, need, request] of requests)
        cells.push({ role, entity: entity.name, action, need, request });
      for (const { transition } of transitionsOf(model, entity.name)) {
        const id = fixtures.workflowRecord.get(`${entity.name}:${transition.action}:${role}`) ?? ABSENT_ID;
        cells.push({
          role,
          entity: entity.name,
          action: transition.action,
          need: {
            kind: 'workflow',
            entity: entity.name,
            action: transition.action,
            permission: transition.permission ?? `${entity.name}:${transition.action}`,
            roles: transition.roles ?? [],
          },
          request: { method: 'POST', url: `${base}/${id}/actions/${transition.action}`, payload: {} },
        });
      }
    }
  }
  return cells;
}

/**
 * Routes outside the entity API, with the codes their documentation names: plugin and extension-field
 * administration (only the administrator holds these), webhooks, ABC analysis and trace.
 */
const PLATFORM_ROUTES: [string, string[], MatrixRequest][] = [
  ['GET plugins', ['plugin:manage'], { method: 'GET', url: '/api/admin/plugins' }],
  ['POST plugins', ['plugin:manage'], { method: 'POST', url: '/api/admin/plugins', payload: {} }],
  [
    'GET extension fields',
    ['metadata:publish'],
    { method: 'GET', url: '/api/admin/extensions/work_order/fields' },
  ],
  [
    'POST extension fields',
    ['metadata:publish'],
    { method: 'POST', url: '/api/admin/extensions/work_order/fields', payload: {} },
  ],
  ['GET webhooks', ['webhook:manage'], { method: 'GET', url: '/api/admin/webhooks' }],
  ['POST webhooks', ['webhook:manage'], { method: 'POST', url: '/api/admin/webhooks', payload: {} }],
  [
    'POST abc-analysis',
    ['item_master:update'],
    { method: 'POST', url: '/api/inventory/abc-analysis', payload: {} },
  ],
  [
    'GET trace reverse',
    ['serial_number:read', 'production_lot:read'],
    { method: 'GET', url: '/api/trace/reverse?sn=MATRIX-NO-SUCH-SN' },
  ],
  [
    'GET trace impact',
    ['trace:analyse', 'serial_number:read', 'production_lot:read', 'shipment:read'],
    { method: 'GET', url: '/api/trace/impact?sn=MATRIX-NO-SUCH-SN' },
  ],
];

/** Every role × every platform route. */
export function platformCells(roles: string[]): Cell[] {
  return roles.flatMap((role) =>
    PLATFORM_ROUTES.map(([action, codes, request]) => ({
      role,
      entity: 'platform',
      action,
      need: { kind: 'route' as const, codes },
      request,
    })),
  );
}

function crud(entity: CompiledEntity, action: 'list' | 'get' | 'create' | 'update' | 'delete'): Requirement {
  return { kind: 'crud', entity: entity.name, action };
}

/** Sends every cell (in parallel batches) and returns the answers in cell order. */
export async function sendCells(ms: MatrixServer, cells: Cell[]): Promise<MatrixReply[]> {
  const replies: MatrixReply[] = [];
  for (let start = 0; start < cells.length; start += PARALLEL)
    replies.push(
      ...(await Promise.all(
        cells.slice(start, start + PARALLEL).map((cell) => ms.send(cell.role, cell.request)),
      )),
    );
  return replies;
}

/** Each answer next to what the oracle expects for its cell. */
export function judge(oracle: RoleOracle, cells: Cell[], replies: MatrixReply[]): Outcome[] {
  return cells.map((cell, index) => outcomeOf(cell, oracle, replies[index]!));
}

function outcomeOf(cell: Cell, oracle: RoleOracle, reply: MatrixReply): Outcome {
  let message = '';
  let refusal: string | undefined;
  try {
    const body = JSON.parse(reply.body) as { message?: unknown; errors?: { rule?: unknown }[] };
    message = String(body.message ?? '');
    const rule = body.errors?.[0]?.rule;
    if (typeof rule === 'string') refusal = rule;
  } catch {
    // a CSV or XLSX export
  }
  return {
    entity: cell.entity,
    action: cell.action,
    role: cell.role,
    expected: oracle.allows(cell.role, cell.need) ? 'allowed' : 'denied',
    status: reply.statusCode,
    message,
    ...(refusal ? { refusal } : {}),
  };
}

/**
 * Whether the server's answer is what the oracle expects. The role grants say nothing of separation
 * of duties: a transition that separates them refuses the fixtures' author though its role may fire it.
 */
export function agrees(outcome: Outcome): boolean {
  if (outcome.status >= 500 || outcome.status === 401) return false;
  if (outcome.expected === 'allowed' && outcome.status === 403)
    return outcome.refusal === 'separation-of-duties' && outcome.role === FIXTURE_AUTHOR;
  return outcome.expected === 'denied' ? outcome.status === 403 : outcome.status !== 403;
}

/**
 * Creates rows for workflow fixtures through the administrator's bulk API: every required field
 * (and every relation an identifier is built from) gets a value of its type, relations the first row
 * of their target (created the same way when the target is empty).
 */
class RecordFactory {
  private serial = 0;
  private readonly firstIds = new Map<string, number | null>();

  constructor(
    private readonly ms: MatrixServer,
    private readonly model: Model,
  ) {}

  async firstId(entity: CompiledEntity): Promise<number | null> {
    if (!this.firstIds.has(entity.name)) {
      const page = await this.ms.admin<{ items: { id: number }[] }>({
        method: 'GET',
        url: `/api/${entity.path}?pageSize=1&sort=id&fields=id&count=none`,
      });
      this.firstIds.set(entity.name, page.items[0]?.id ?? null);
    }
    return this.firstIds.get(entity.name)!;
  }

  async create(entity: CompiledEntity, count: number): Promise<number[]> {
    // Beyond the required fields: relations an identifier is built from, and the columns of unique
    // keys (so the rows differ, e.g. a version number next to a shared item).
    const wanted = new Set([
      ...(entity.identifier?.tokens ?? [])
        .filter((t) => t.kind === 'field')
        .map((t) => t.value.split('.')[0]),
      ...entity.indexes.filter((index) => index.unique).flatMap((index) => index.columns),
    ]);
    const fields = entity.fields.filter(
      (field) =>
        !field.readonly &&
        field.storage === 'column' &&
        field.name !== entity.identifier?.field &&
        ((field.required && field.def.default === undefined) ||
          wanted.has(field.name) ||
          wanted.has(field.column ?? '')),
    );
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const row: Record<string, unknown> = {};
      for (const field of fields) {
        if (field.type === 'relation') row[`${field.apiName}Id`] = await this.relationTarget(field);
        else row[field.apiName] = this.valueOf(field, i);
      }
      rows.push(row);
    }
    const result = await this.ms.admin<{ ids: number[] }>({
      method: 'POST',
      url: `/api/${entity.path}/bulk`,
      payload: { mode: 'create', rows },
    });
    return result.ids;
  }

  private async relationTarget(field: CompiledField): Promise<number> {
    const target = this.model.entities.get(field.relation!.target)!;
    const existing = await this.firstId(target);
    if (existing !== null) return existing;
    const [created] = await this.create(target, 1);
    this.firstIds.set(target.name, created!);
    return created!;
  }

  private valueOf(field: CompiledField, index: number): unknown {
    const unique = `PM${String(++this.serial).padStart(5, '0')}`;
    switch (field.type) {
      case 'enum':
        return field.enumValues![0];
      case 'integer':
      case 'decimal':
        return index + 1;
      case 'boolean':
        return false;
      case 'date':
        return '2026-09-01';
      case 'datetime':
        return '2026-09-01T06:00:00.000Z';
      case 'json':
        return {};
      default:
        return unique;
    }
  }
}
