import type { PluginApi } from '../../../platform/src/plugins/plugin-api';
import { registerApprovals } from './approvals';
import { registerOrderAmounts } from './order-amounts';
import { registerReceipts } from './receipts';
import { registerRequisitionConversion } from './requisition-conversion';
import { registerSupplierKpis } from './supplier-kpi';

/** Procurement behaviour: order amounts and approvals, requisition → order, receipt → IQC → stock, supplier KPIs. */
export function register(api: PluginApi): void {
  registerOrderAmounts(api);
  registerApprovals(api);
  registerRequisitionConversion(api);
  registerReceipts(api);
  registerSupplierKpis(api);
}
