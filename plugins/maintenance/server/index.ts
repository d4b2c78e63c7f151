import type { PluginApi } from '../../../platform/src/plugins/plugin-api';
import { registerMaintenanceOrders } from './maintenance-orders';
import { registerPreventiveOrders } from './preventive-orders';
import { registerReliability } from './reliability';
import { registerSpareParts } from './spare-parts';

/** Maintenance behaviour: plans and orders, preventive orders by schedule, spare parts from stock, MTBF/MTTR. */
export function register(api: PluginApi): void {
  registerMaintenanceOrders(api);
  registerPreventiveOrders(api);
  registerSpareParts(api);
  registerReliability(api);
}
