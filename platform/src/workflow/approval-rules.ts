import { BusinessRuleError, ForbiddenError } from '../crud/errors';
import type { ApprovalDef } from '../../../metadata/src/types';
import type { ApprovalDecision } from '../contracts/workflow';
import { holdsGrant, type WorkflowActor } from './actor';

export interface ApprovalVote {
  approver: string;
  decision: ApprovalDecision;
}

/** A transition waiting for its approvers. */
export interface PendingApproval {
  requester: string;
  votes: readonly ApprovalVote[];
}

export type ApprovalOutcome = 'pending' | 'approved' | 'rejected';

export interface VoteResult {
  outcome: ApprovalOutcome;
  approvals: number;
  required: number;
}

/** Whether the actor could vote on this request at all (used to list what a user may do now). */
export function mayVote(def: ApprovalDef, pending: PendingApproval, actor: WorkflowActor): boolean {
  if (!def.approvers.some((grant) => holdsGrant(actor, grant))) return false;
  if (!def.allowRequester && actor.userId === pending.requester) return false;
  return !pending.votes.some((vote) => vote.approver === actor.userId);
}

/**
 * Records one approver's vote under n-of-m rules: approvers hold one of `approvers` (a role or a
 * permission), the requester may not approve their own request unless `allowRequester`, each person
 * votes once; n approvals approve, a single rejection rejects (any approver can stop the change).
 */
export function castVote(
  def: ApprovalDef,
  pending: PendingApproval,
  actor: WorkflowActor,
  decision: ApprovalDecision,
): VoteResult {
  if (!def.approvers.some((grant) => holdsGrant(actor, grant))) {
    throw new ForbiddenError(`Approving needs one of ${def.approvers.join(', ')}`, {
      approvers: def.approvers,
    });
  }
  if (!def.allowRequester && actor.userId === pending.requester) {
    throw new ForbiddenError('The requester may not approve their own request (segregation of duties)', {
      rule: 'self-approval',
    });
  }
  if (pending.votes.some((vote) => vote.approver === actor.userId)) {
    throw new BusinessRuleError(`${actor.userId} has already voted on this request`, { rule: 'one-vote' });
  }
  const votes = [...pending.votes, { approver: actor.userId, decision }];
  const approvals = votes.filter((vote) => vote.decision === 'approve').length;
  const outcome: ApprovalOutcome =
    decision === 'reject' ? 'rejected' : approvals >= def.required ? 'approved' : 'pending';
  return { outcome, approvals, required: def.required };
}
