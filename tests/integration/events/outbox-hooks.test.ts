import type { Model } from '../../../metadata/src/model';
import { EntityService } from '../../../platform/src/crud/entity.service';
import { HookRegistry } from '../../../platform/src/crud/hooks';
import type { RequestContext } from '../../../platform/src/crud/types';
import type { EventEnvelope } from '../../../platform/src/events/envelope';
import { registerOutboxHooks } from '../../../platform/src/events/register-outbox-hooks';
import { WorkflowEventsTraceTables1764061200000 } from '../../../database/migrations/1764061200000-workflow-events-trace-tables';
import {
  ENGINE_DIALECTS,
  openEngineDatabase,
  type EngineTestDatabase,
} from '../../fixtures/engine/engine-database';
import { engineModel } from '../../fixtures/engine/plant-metadata';

describe.each(ENGINE_DIALECTS)('CRUD writes emit outbox events on %s', (dialect) => {
  let database: EngineTestDatabase;
  let model: Model;
  let ctx: RequestContext;
  let service: EntityService;

  beforeAll(async () => {
    model = engineModel();
    database = await openEngineDatabase(dialect, 'outboxhooks', model);
    await database.db.withQueryRunner((runner) => new WorkflowEventsTraceTables1764061200000().up(runner));
    ctx = { tenantId: 'T1', userId: 'u1', traceId: 'trace-crud', model };
    const hooks = new HookRegistry();
    registerOutboxHooks(hooks);
    service = new EntityService(database.db, hooks);
  });
  afterAll(() => database?.drop());

  it('writes created, updated and deleted events with the record, and nothing for a refused write', async () => {
    const tag = await service.create('tag', { name: 'hot' }, ctx);
    await service.update('tag', tag.id as number, { version: 1, name: 'warm' }, ctx);
    await service.remove('tag', tag.id as number, ctx);
    await expect(
      service.update('tag', tag.id as number, { version: 1, name: 'stale' }, ctx),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const rows = await database.db
      .executor()
      .query<{ envelope: string }>('SELECT envelope FROM evt_outbox ORDER BY id');
    const events = rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
    expect(events.map((event) => [event.type, event.entityId, event.payload.name])).toEqual([
      ['tag.created', String(tag.id), 'hot'],
      ['tag.updated', String(tag.id), 'warm'],
      ['tag.deleted', String(tag.id), 'warm'],
    ]);
    expect(events[0]).toMatchObject({
      tenant: 'T1',
      actor: 'u1',
      traceId: 'trace-crud',
      entity: 'tag',
      version: 1,
    });
  });
});
