import { ApiError } from '../../../platform/src/crud/errors';
import { planTransition, type TransitionInput } from '../../../platform/src/workflow/transition-rules';
import { actor, purchaseOrderWorkflow } from '../../fixtures/workflow/purchase-order-workflow';

const buyer = actor('u-buyer', ['BUYER'], ['purchase_order:confirm', 'purchase_order:cancel']);
const draft = { status: 'DRAFT', supplier: 7, expected_date: '2026-12-01', total_amount: 500 };
const now = new Date('2026-11-25T09:30:15.000Z');

function input(overrides: Partial<TransitionInput> & { action?: string } = {}): TransitionInput {
  const { action = 'confirm', ...rest } = overrides;
  return {
    workflows: [purchaseOrderWorkflow],
    record: draft,
    actor: buyer,
    request: { action, reason: null, fields: {}, signed: false },
    now,
    ...rest,
  };
}

function failure(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('planTransition', () => {
  it('plans an allowed transition with its state change, field updates and events', () => {
    const plan = planTransition(input());
    expect(plan.from).toBe('DRAFT');
    expect(plan.to).toBe('CONFIRMED');
    expect(plan.updates).toEqual({
      status: 'CONFIRMED',
      confirmed_at: '2026-11-25 09:30:15',
      confirmed_by: 'u-buyer',
      confirmed_on: '2026-11-25',
      net: 1000,
    });
    expect(plan.events).toEqual(['purchase_order.confirmed']);
    expect(plan.needsApproval).toBe(false);
  });

  it('treats a record without a state as being in the initial state', () => {
    expect(planTransition(input({ record: { ...draft, status: null } })).from).toBe('DRAFT');
  });

  it('refuses a transition from a state it does not leave (422 BUSINESS_RULE)', () => {
    const error = failure(() => planTransition(input({ record: { ...draft, status: 'CANCELLED' } })));
    expect(error.httpStatus).toBe(422);
    expect(error.code).toBe('BUSINESS_RULE');
    expect(error.details).toMatchObject({ state: 'CANCELLED', allowedFrom: ['DRAFT'] });
  });

  it('refuses an unknown action with 400 naming the known ones', () => {
    const error = failure(() => planTransition(input({ action: 'explode' })));
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain('confirm, receive, cancel');
  });

  it('refuses an actor without the permission (403)', () => {
    const error = failure(() => planTransition(input({ actor: actor('u2', ['BUYER'], []) })));
    expect(error.httpStatus).toBe(403);
    expect(error.details).toMatchObject({ permission: 'purchase_order:confirm' });
  });

  it('refuses an actor with the permission but not one of the roles (403)', () => {
    const clerk = actor('u3', ['CLERK'], ['purchase_order:confirm']);
    const error = failure(() => planTransition(input({ actor: clerk })));
    expect(error.httpStatus).toBe(403);
    expect(error.details).toMatchObject({ roles: ['BUYER'] });
  });

  it('names every missing required field with its API path', () => {
    const record = { status: 'DRAFT', supplier: null, expected_date: '', total_amount: 5 };
    const apiNameOf = (field: string) => (field === 'supplier' ? 'supplierId' : 'expectedDate');
    const error = failure(() => planTransition(input({ record, apiNameOf })));
    expect(error.httpStatus).toBe(422);
    expect(error.details?.errors).toEqual([
      expect.objectContaining({ field: 'supplierId', path: '/fields/supplierId', rule: 'required' }),
      expect.objectContaining({ field: 'expectedDate', path: '/fields/expectedDate', rule: 'required' }),
    ]);
  });

  it('accepts required fields supplied with the action and writes them', () => {
    const record = { status: 'DRAFT', supplier: 7, expected_date: null, total_amount: 5 };
    const plan = planTransition(
      input({
        record,
        request: { action: 'confirm', fields: { expected_date: '2026-12-24' }, signed: false },
      }),
    );
    expect(plan.updates.expected_date).toBe('2026-12-24');
  });

  it('refuses when the guard is false, with the guard message', () => {
    const error = failure(() => planTransition(input({ record: { ...draft, total_amount: 0 } })));
    expect(error.code).toBe('BUSINESS_RULE');
    expect(error.message).toBe('Total amount must be positive');
  });

  it('requires a reason where the transition says so', () => {
    const error = failure(() => planTransition(input({ action: 'cancel' })));
    expect(error.details?.errors).toEqual([expect.objectContaining({ field: 'reason', rule: 'required' })]);
    const plan = planTransition(
      input({ request: { action: 'cancel', reason: 'duplicate', fields: {}, signed: false } }),
    );
    expect(plan.to).toBe('CANCELLED');
  });

  it('requires an e-signature where the transition says so', () => {
    const clerk = actor('u4', [], ['warehouse:receive']);
    const confirmed = { ...draft, status: 'CONFIRMED' };
    const error = failure(() =>
      planTransition(input({ action: 'receive', actor: clerk, record: confirmed })),
    );
    expect(error.details?.errors).toEqual([expect.objectContaining({ field: 'password', rule: 'required' })]);
    const signed = { action: 'receive', fields: {}, signed: true };
    expect(planTransition(input({ actor: clerk, record: confirmed, request: signed })).to).toBe('RECEIVED');
  });

  it('marks the approval step only when its condition holds', () => {
    expect(planTransition(input({ record: { ...draft, total_amount: 250000 } })).needsApproval).toBe(true);
  });
});
