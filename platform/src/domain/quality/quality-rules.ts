import type { TransitionHook } from '../../workflow/workflow.service';
import { inspectionFailed, inspectionPassed } from './inspection-transitions';
import { ncrCloseAppliesDisposition, ncrResolveChecksDisposition } from './ncr-disposition';
import { shipmentShipsNoHeldSerial } from './quality-hold';

export { registerQualityHoldGuards } from './quality-hold';

/** The quality module's behaviour on workflow transitions (inspection verdicts, NCR disposition, shipping). */
export const QUALITY_TRANSITION_HOOKS: readonly TransitionHook[] = [
  inspectionPassed,
  inspectionFailed,
  ncrResolveChecksDisposition,
  ncrCloseAppliesDisposition,
  shipmentShipsNoHeldSerial,
];
