import type { Model } from '../../../metadata/src/model';
import { ForbiddenError } from '../../../platform/src/crud/errors';
import type { FilterNode, ListQuery } from '../../../platform/src/crud/types';
import {
  authorizeGet,
  authorizeRead,
  authorizeRowAction,
} from '../../../platform/src/security/authorization/authorize-read';
import { authorizeWrite } from '../../../platform/src/security/authorization/authorize-write';
import { redactRecord } from '../../../platform/src/security/authorization/redact';
import { principal, securityModel } from '../../fixtures/security/model';

const model = securityModel();

function listQuery(overrides: Partial<ListQuery> = {}): ListQuery {
  return {
    page: 1,
    pageSize: 20,
    cursor: null,
    filter: { kind: 'and', conditions: [{ field: 'status', op: 'eq', value: 'DRAFT' }] },
    sort: [{ field: 'id', direction: 'asc' }],
    fields: null,
    expand: [],
    search: null,
    count: 'exact',
    includeDeleted: false,
    ...overrides,
  };
}

function scopeOf(query: ListQuery): FilterNode | undefined {
  return query.filter.conditions[1];
}

describe('row scopes rewrite the filter tree', () => {
  it('own: rows the principal created', () => {
    const query = authorizeRead(principal(['clerk']), model, 'work_order', listQuery());
    expect(query.filter.conditions[0]).toEqual({
      kind: 'and',
      conditions: [{ field: 'status', op: 'eq', value: 'DRAFT' }],
    });
    expect(scopeOf(query)).toEqual({ field: 'createdBy', op: 'eq', value: '7' });
  });

  it('department: the relation to the user department; department_tree: the subtree', () => {
    const tree = authorizeRead(principal(['planner']), model, 'work_order', listQuery());
    expect(scopeOf(tree)).toEqual({ field: 'departmentId', op: 'in', value: [3, 4, 5] });
    const onDepartment = authorizeRead(
      principal(['planner']),
      model,
      'department',
      listQuery({ filter: { kind: 'and', conditions: [] } }),
    );
    expect(onDepartment.filter).toEqual({
      kind: 'and',
      conditions: [
        { kind: 'and', conditions: [] },
        { field: 'id', op: 'in', value: [3, 4, 5] },
      ],
    });
  });

  it('line scope, and OR across roles', () => {
    const query = authorizeRead(principal(['operator', 'clerk']), model, 'work_order', listQuery());
    expect(scopeOf(query)).toEqual({
      kind: 'or',
      conditions: [
        { field: 'lineId', op: 'in', value: [11, 12] },
        { field: 'createdBy', op: 'eq', value: '7' },
      ],
    });
  });

  it('a role with tenant scope lifts the restriction', () => {
    const query = authorizeRead(principal(['operator', 'auditor']), model, 'work_order', listQuery());
    expect(query.filter.conditions).toHaveLength(1);
  });

  it('a filter expression scope becomes conditions with the caller values', () => {
    const query = authorizeRead(principal(['released_viewer']), model, 'work_order', listQuery());
    expect(scopeOf(query)).toEqual({
      kind: 'and',
      conditions: [
        { field: 'status', op: 'eq', value: 'RELEASED' },
        { field: 'lineId', op: 'in', value: [11, 12] },
      ],
    });
  });

  it('a get is a one-row query with the same scope; updates get the scope of the update grant', () => {
    const query = authorizeGet(principal(['operator']), model, 'work_order', 42);
    expect(query.filter.conditions).toEqual([
      { kind: 'and', conditions: [{ field: 'id', op: 'eq', value: 42 }] },
      { field: 'lineId', op: 'in', value: [11, 12] },
    ]);
    expect(authorizeRowAction(principal(['operator']), model, 'work_order', 'update')).toEqual({
      field: 'lineId',
      op: 'in',
      value: [11, 12],
    });
    expect(() => authorizeRowAction(principal(['operator']), model, 'work_order', 'delete')).toThrow(
      ForbiddenError,
    );
  });
});

describe('field rules on reads', () => {
  it('refuses the entity without read permission, and export without export permission', () => {
    expect(() =>
      authorizeRead(
        principal(['clerk']),
        model,
        'item_master',
        listQuery({ filter: { kind: 'and', conditions: [] } }),
      ),
    ).toThrow("Permission 'item_master:read' required");
    expect(() => authorizeRead(principal(['operator']), model, 'work_order', listQuery(), 'export')).toThrow(
      "Permission 'work_order:export' required",
    );
    expect(() =>
      authorizeRead(principal(['auditor']), model, 'work_order', listQuery(), 'export'),
    ).not.toThrow();
  });

  it('drops hidden fields from the requested list and refuses filters and sorts over them', () => {
    const query = authorizeRead(
      principal(['operator']),
      model,
      'work_order',
      listQuery({ fields: ['woNo', 'cost', 'item.name'] }),
    );
    expect(query.fields).toEqual(['woNo', 'item.name']);
    const byCost = listQuery({
      filter: { kind: 'and', conditions: [{ field: 'cost', op: 'gt', value: 100 }] },
    });
    expect(() => authorizeRead(principal(['operator']), model, 'work_order', byCost)).toThrow(
      "Field 'cost' may not be read",
    );
    const sorted = listQuery({ sort: [{ field: 'cost', direction: 'desc' }] });
    expect(() => authorizeRead(principal(['operator']), model, 'work_order', sorted)).toThrow(ForbiddenError);
  });

  it('checks expansions and dot paths against the related entity', () => {
    expect(() =>
      authorizeRead(principal(['clerk']), model, 'work_order', listQuery({ expand: ['item'] })),
    ).toThrow("Permission 'item_master:read' required");
    expect(() =>
      authorizeRead(principal(['clerk']), model, 'work_order', listQuery({ fields: ['item.name'] })),
    ).not.toThrow();
    expect(
      authorizeRead(principal(['clerk']), model, 'work_order', listQuery({ fields: ['woNo', 'item.name'] }))
        .fields,
    ).toEqual(['woNo']);
    const byItem = listQuery({
      filter: { kind: 'and', conditions: [{ field: 'item.name', op: 'eq', value: 'x' }] },
    });
    expect(() => authorizeRead(principal(['clerk']), model, 'work_order', byItem)).toThrow(ForbiddenError);
    expect(() =>
      authorizeRead(
        principal(['operator']),
        model,
        'work_order',
        listQuery({ expand: ['item', 'operations'] }),
      ),
    ).not.toThrow();
  });

  it('gives each relation expansion the row scope of the related entity, compiled by the reader', () => {
    const clerkAndItems = principal(['clerk', 'planner'], { userId: '7' });
    const query = authorizeRead(
      clerkAndItems,
      model,
      'work_order',
      listQuery({ expand: ['department', 'item'] }),
    );
    expect(query.expandScopes).toEqual({ department: { field: 'id', op: 'in', value: [3, 4, 5] } });
    const admin = authorizeRead(
      principal(['admin']),
      model,
      'work_order',
      listQuery({ expand: ['department'] }),
    );
    expect(admin.expandScopes).toEqual({});
  });

  it('refuses dot paths into rows outside the data scope of the related entity', () => {
    const byDepartment = listQuery({
      filter: { kind: 'and', conditions: [{ field: 'department.name', op: 'eq', value: 'x' }] },
    });
    expect(() =>
      authorizeRead(principal(['planner', 'auditor']), model, 'work_order', byDepartment),
    ).not.toThrow();
    const planner = principal(['planner']);
    expect(() => authorizeRead(planner, model, 'work_order', listQuery({ fields: ['woNo'] }))).not.toThrow();
    expect(
      authorizeRead(planner, model, 'work_order', listQuery({ fields: ['department.name'] })).fields,
    ).toEqual([]);
  });

  it('refuses filtering on sensitive fields without unmask', () => {
    const byEmail = listQuery({
      filter: { kind: 'and', conditions: [{ field: 'email', op: 'eq', value: 'a@b.c' }] },
    });
    expect(() => authorizeRead(principal(['planner']), model, 'user', byEmail)).toThrow('sensitive');
    expect(() => authorizeRead(principal(['admin']), model, 'user', byEmail)).not.toThrow();
  });
});

describe('redactRecord', () => {
  const workOrder = {
    id: 1,
    tenantId: 't1',
    woNo: 'WO-1',
    cost: 1200,
    lineId: 11,
    itemId: 5,
    item: { id: 5, name: 'Bolt', unitCost: 3, createdBy: '9' },
    operations: [{ id: 8, opSeq: 10, labourRate: 42 }],
    createdBy: '9',
  };

  it('omits hidden fields at every level and never shows the tenant', () => {
    const seen = redactRecord(principal(['operator']), model, 'work_order', workOrder);
    expect(seen).toEqual({
      id: 1,
      woNo: 'WO-1',
      lineId: 11,
      itemId: 5,
      item: { id: 5, name: 'Bolt', unitCost: 3, createdBy: '9' },
      operations: [{ id: 8, opSeq: 10 }],
      createdBy: '9',
    });
  });

  it('masks sensitive values unless the reader may unmask, and never returns hidden fields', () => {
    const user = {
      id: 2,
      username: 'li',
      email: 'li.wei@example.com',
      phone: '13800138000',
      passwordHash: '$argon2id$...',
    };
    expect(redactRecord(principal(['planner']), model, 'user', user)).toEqual({
      id: 2,
      username: 'li',
      email: 'li****@example.com',
      phone: '****8000',
    });
    expect(redactRecord(principal(['admin']), model, 'user', user)).toEqual({
      id: 2,
      username: 'li',
      email: 'li.wei@example.com',
      phone: '13800138000',
    });
  });

  it('decides again for the same principal under a new Model version', () => {
    const user = { id: 2, username: 'li', phone: '13800138000' };
    const planner = principal(['planner']);
    expect(redactRecord(planner, model, 'user', user)).toMatchObject({ phone: '****8000' });
    const roles = new Map(
      [...model.roles].map(([name, role]) => [
        name,
        name === 'planner' ? { ...role, permissions: [...role.permissions, 'user:unmask'] } : role,
      ]),
    );
    const next: Model = { ...model, version: model.version + 1, roles };
    expect(redactRecord(planner, next, 'user', user)).toMatchObject({ phone: '13800138000' });
    expect(redactRecord(planner, model, 'user', user)).toMatchObject({ phone: '****8000' });
    expect(redactRecord(principal(['planner']), next, 'user', user)).toMatchObject({ phone: '13800138000' });
  });
});

describe('authorizeWrite', () => {
  it('refuses the action without permission', () => {
    expect(() => authorizeWrite(principal(['operator']), model, 'work_order', 'delete')).toThrow(
      "Permission 'work_order:delete' required",
    );
    expect(() =>
      authorizeWrite(principal(['auditor']), model, 'work_order', 'update', { status: 'DRAFT' }),
    ).toThrow(ForbiddenError);
    expect(() =>
      authorizeWrite(principal(['senior_operator']), model, 'work_order', 'release'),
    ).not.toThrow();
  });

  it('names the forbidden field, with its path inside children', () => {
    const error = captureForbidden(() =>
      authorizeWrite(principal(['operator']), model, 'work_order', 'update', {
        status: 'RELEASED',
        woNo: 'X',
      }),
    );
    expect(error.details?.errors).toEqual([
      { field: 'woNo', path: '/woNo', rule: 'permission', message: "You may not write 'woNo'" },
    ]);
    const child = captureForbidden(() =>
      authorizeWrite(principal(['operator']), model, 'work_order', 'update', {
        operations: [{ opSeq: 1 }, { labourRate: 9 }],
      }),
    );
    expect(child.details?.errors?.[0]).toMatchObject({
      field: 'labourRate',
      path: '/operations/1/labourRate',
    });
  });

  it('applies field permissions declared in metadata', () => {
    expect(() =>
      authorizeWrite(principal(['operator']), model, 'work_order', 'update', { priority: 1 }),
    ).toThrow("Field 'priority'");
    expect(() =>
      authorizeWrite(principal(['planner']), model, 'work_order', 'update', { priority: 1 }),
    ).not.toThrow();
  });
});

function captureForbidden(run: () => void): ForbiddenError {
  try {
    run();
  } catch (error) {
    if (error instanceof ForbiddenError) return error;
    throw error;
  }
  throw new Error('expected ForbiddenError');
}
