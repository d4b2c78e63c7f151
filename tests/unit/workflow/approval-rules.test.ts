import { ApiError } from '../../../platform/src/crud/errors';
import { castVote, mayVote, type PendingApproval } from '../../../platform/src/workflow/approval-rules';
import type { ApprovalDef } from '../../../metadata/src/types';
import { actor } from '../../fixtures/workflow/purchase-order-workflow';

const twoOfThree: ApprovalDef = { required: 2, approvers: ['ORDER_APPROVER', 'purchase_order:approve'] };
const requester = actor('alice', ['ORDER_APPROVER'], []);
const bob = actor('bob', ['ORDER_APPROVER'], []);
const carol = actor('carol', [], ['purchase_order:approve']);
const dave = actor('dave', ['BUYER'], []);
const fresh: PendingApproval = { requester: 'alice', votes: [] };

function status(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.httpStatus;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('castVote (n of m)', () => {
  it('stays pending below n approvals and approves at n', () => {
    const first = castVote(twoOfThree, fresh, bob, 'approve');
    expect(first).toEqual({ outcome: 'pending', approvals: 1, required: 2 });
    const second = castVote(
      twoOfThree,
      { requester: 'alice', votes: [{ approver: 'bob', decision: 'approve' }] },
      carol,
      'approve',
    );
    expect(second).toEqual({ outcome: 'approved', approvals: 2, required: 2 });
  });

  it('refuses the requester approving their own request', () => {
    expect(status(() => castVote(twoOfThree, fresh, requester, 'approve'))).toBe(403);
    expect(mayVote(twoOfThree, fresh, requester)).toBe(false);
  });

  it('lets the requester vote only when the definition allows it', () => {
    const lenient = { ...twoOfThree, allowRequester: true };
    expect(castVote(lenient, fresh, requester, 'approve').approvals).toBe(1);
  });

  it('refuses someone who holds neither an approver role nor permission', () => {
    expect(status(() => castVote(twoOfThree, fresh, dave, 'approve'))).toBe(403);
    expect(mayVote(twoOfThree, fresh, dave)).toBe(false);
  });

  it('counts each approver once', () => {
    const voted = { requester: 'alice', votes: [{ approver: 'bob', decision: 'approve' as const }] };
    expect(status(() => castVote(twoOfThree, voted, bob, 'approve'))).toBe(422);
    expect(mayVote(twoOfThree, voted, bob)).toBe(false);
    expect(mayVote(twoOfThree, voted, carol)).toBe(true);
  });

  it('rejects the request on a single rejection', () => {
    expect(castVote(twoOfThree, fresh, bob, 'reject').outcome).toBe('rejected');
  });
});
