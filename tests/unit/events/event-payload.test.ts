import { createEnvelope } from '../../../platform/src/events/envelope';
import { deliverableEvent, releasableEvent } from '../../../platform/src/events/event-payload';
import { coreModel } from '../../fixtures/security/core-model';

/** The outbox payload filter on the core metadata, nested records included. */
describe('what an event carries out of the system', () => {
  beforeEach(() => expect.hasAssertions());

  const alert = () =>
    createEnvelope({
      type: 'alert.raised',
      tenant: 'T1',
      entity: 'alert_event',
      entityId: 7,
      payload: {
        id: 7,
        assigneeId: 3,
        assignee: {
          id: 3,
          username: 'planner',
          passwordHash: '$argon2id$v=19$secret-hash',
          email: 'li.planner@example.com',
          phone: null,
          roles: [{ id: 1, roleId: 2 }],
        },
        action: 'raise',
      },
    });

  it('leaves hidden fields out and masks sensitive ones at every depth, sealing their clear values', () => {
    const released = releasableEvent(coreModel(), alert());
    expect(released.payload).toEqual({
      id: 7,
      assigneeId: 3,
      assignee: {
        id: 3,
        username: 'planner',
        email: 'li****@example.com',
        phone: null,
        roles: [{ id: 1, roleId: 2 }],
      },
      action: 'raise',
    });
    expect(Object.keys(released.sealed ?? {})).toEqual(['/assignee/email']);
    expect(JSON.stringify(released)).not.toContain('li.planner@example.com');
    expect(JSON.stringify(released)).not.toContain('secret-hash');
  });

  it('delivers the masks without the sealed values, or the clear values to an unmask subscription', () => {
    const released = releasableEvent(coreModel(), alert());
    const masked = deliverableEvent(released, false);
    expect(masked).not.toHaveProperty('sealed');
    expect(masked.payload).toEqual(released.payload);
    const clear = deliverableEvent(released, true);
    expect(clear).not.toHaveProperty('sealed');
    expect(clear.payload).toMatchObject({ assignee: { email: 'li.planner@example.com', phone: null } });
    expect(clear.payload.assignee).not.toHaveProperty('passwordHash');
    expect((released.payload.assignee as Record<string, unknown>).email).toBe('li****@example.com');
  });

  it('passes events about no entity of the Model unchanged', () => {
    const event = createEnvelope({ type: 'lot.split', tenant: 'T1', payload: { passwordHash: 'x' } });
    expect(releasableEvent(coreModel(), event)).toBe(event);
  });
});
