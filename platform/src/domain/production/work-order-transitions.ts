import type { EntityService } from '../../crud/entity.service';
import type { TransitionHook } from '../../workflow/workflow.service';
import { completionReceivesFinishedGoods } from './work-order-completion';
import { lotStartReleasesSerials, releaseCreatesLot } from './work-order-release';
import { startSnapshotsRouting } from './work-order-start';

/**
 * The work order's domain behaviour on its transitions, for WorkflowService's `transitionHooks`:
 * release creates the lot, the lot's start (after its FAI passed) its serials, start snapshots the routing, complete receives the finished goods
 * (through `records`, the record-change path, so stock transactions run their own hooks).
 */
export function workOrderTransitionHooks(records: EntityService): TransitionHook[] {
  return [
    releaseCreatesLot,
    lotStartReleasesSerials,
    startSnapshotsRouting,
    completionReceivesFinishedGoods(records),
  ];
}
