import type { HookRegistry } from '../../crud/hooks';
import type { TransitionHook } from '../../workflow/workflow.service';
import { completionReceivesFinishedGoods } from './work-order-completion';
import { releaseCreatesLotAndSerials } from './work-order-release';
import { startSnapshotsRouting } from './work-order-start';

/**
 * The work order's domain behaviour on its transitions, for WorkflowService's `transitionHooks`:
 * release creates lot and serials, start snapshots the routing, complete receives the finished goods
 * (through `hooks`, EntityService's registry, so stock transactions run their own hooks).
 */
export function workOrderTransitionHooks(hooks: HookRegistry): TransitionHook[] {
  return [releaseCreatesLotAndSerials, startSnapshotsRouting, completionReceivesFinishedGoods(hooks)];
}
