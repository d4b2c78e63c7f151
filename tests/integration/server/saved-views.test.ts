import { startSecurityServer, type SecurityServer } from '../security/security-server';

interface SavedViewRecord {
  id: number;
  version: number;
  ownerId: number;
  createdBy: string | number;
  entityName: string;
  viewName: string;
  definition: unknown;
  isDefault: boolean;
}

const DRAFTS = {
  search: '',
  filters: { status: ['DRAFT'] },
  sort: 'woNo',
  columns: ['wo_no', 'status'],
  pageSize: 50,
};

/** Saved list views are rows of the `saved_view` entity, served by the ordinary CRUD API under the `own` scope. */
describe('saved list views on the server', () => {
  let api: SecurityServer;
  const userId = async (username: string): Promise<number> =>
    (await api.query<{ id: number }>('SELECT id FROM sys_user WHERE username = ?', [username]))[0].id;
  const create = (username: string, body: object) => api.call(username, 'POST', '/api/saved-views', body);
  const listOf = async (username: string): Promise<SavedViewRecord[]> => {
    const reply = await api.call(username, 'GET', '/api/saved-views?filter[entityName][eq]=work_order');
    expect(reply.statusCode).toBe(200);
    return reply.json().data.items as SavedViewRecord[];
  };

  beforeAll(async () => {
    api = await startSecurityServer('sqlite', 'saved-views');
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('makes the caller the owner of a view saved without one', async () => {
    const reply = await create('planner', {
      entityName: 'work_order',
      viewName: 'Drafts',
      definition: DRAFTS,
    });
    expect(reply.statusCode).toBe(201);
    const view = reply.json().data as SavedViewRecord;
    expect(view.ownerId).toBe(await userId('planner'));
    expect(view.definition).toEqual(DRAFTS);
    expect(view.isDefault).toBe(false);
  });

  it('refuses a view saved for someone else, naming the owner field', async () => {
    const reply = await create('planner', {
      ownerId: await userId('operator'),
      entityName: 'work_order',
      viewName: 'Planted',
      definition: DRAFTS,
    });
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain('ownerId');
    expect(await listOf('operator')).toEqual([]);
  });

  it("keeps a user's views private: others neither list, read, change nor delete them", async () => {
    const [own] = await listOf('planner');
    expect(own.viewName).toBe('Drafts');
    expect(await listOf('operator')).toEqual([]);
    expect((await api.call('operator', 'GET', `/api/saved-views/${own.id}`)).statusCode).toBe(404);
    const patch = await api.call('operator', 'PATCH', `/api/saved-views/${own.id}`, {
      version: own.version,
      viewName: 'Hijacked',
    });
    expect(patch.statusCode).toBe(404);
    expect((await api.call('operator', 'DELETE', `/api/saved-views/${own.id}`)).statusCode).toBe(404);
    const [after] = await listOf('planner');
    expect(after).toMatchObject({ id: own.id, viewName: 'Drafts', version: own.version });
  });

  it('lets each user have a view of the same name on the same entity', async () => {
    const reply = await create('operator', {
      entityName: 'work_order',
      viewName: 'Drafts',
      definition: DRAFTS,
    });
    expect(reply.statusCode).toBe(201);
    expect((await listOf('operator')).map((v) => v.viewName)).toEqual(['Drafts']);
    expect((await listOf('planner')).map((v) => v.viewName)).toEqual(['Drafts']);
  });

  it('answers a second view of the same name for the same user and entity with a 409 naming the unique rule', async () => {
    const reply = await create('planner', { entityName: 'work_order', viewName: 'Drafts', definition: {} });
    expect(reply.statusCode).toBe(409);
    const body = reply.json();
    expect(body.code).toBe('DUPLICATE_VALUE');
    // Every field of the composite (owner, entity_name, view_name) rule, with the values sent.
    expect(body.errors.map((e: { field: string }) => e.field)).toEqual(['ownerId', 'entityName', 'viewName']);
    expect(body.errors[0]).toMatchObject({
      path: '/ownerId',
      rule: 'unique',
      limit: ['ownerId', 'entityName', 'viewName'],
    });
    expect(body.message).toContain("entityName 'work_order', viewName 'Drafts' already exists");
    expect(await listOf('planner')).toHaveLength(1);
  });

  it('lets the owner mark a default view and delete it, freeing the name', async () => {
    const [own] = await listOf('planner');
    const patch = await api.call('planner', 'PATCH', `/api/saved-views/${own.id}`, {
      version: own.version,
      isDefault: true,
    });
    expect(patch.statusCode).toBe(200);
    expect((patch.json().data as SavedViewRecord).isDefault).toBe(true);
    expect((await api.call('planner', 'DELETE', `/api/saved-views/${own.id}`)).statusCode).toBe(200);
    expect(await listOf('planner')).toEqual([]);
    const again = await create('planner', {
      entityName: 'work_order',
      viewName: 'Drafts',
      definition: DRAFTS,
    });
    expect(again.statusCode).toBe(201);
  });
});
