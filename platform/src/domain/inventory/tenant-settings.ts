import type { RequestContext } from '../../crud/types';
import type { SqlExecutor } from '../../data/database';
import { storedSetting } from './tenant-settings-store';

/**
 * Domain switches a tenant sets as system settings (`sys_config`, `/api/configs`), read inside the
 * write's transaction so a change applies to the next movement. An absent or empty key is the
 * default; a value that does not parse is ignored in favour of the default.
 */
export const SETTINGS = {
  /** `true` lets movements take available stock below zero (backflush before the receipt is booked). */
  allowNegativeStock: 'inventory.allow_negative_stock',
  /** Percentage a work report may exceed what the previous operation delivered (or the planned quantity). */
  overReportTolerancePercent: 'production.over_report_tolerance_percent',
} as const;

async function settingValue(tx: SqlExecutor, ctx: RequestContext, key: string): Promise<string | null> {
  const value = await storedSetting(tx, ctx.model, ctx.tenantId, key);
  return value === null || value === undefined || String(value).trim() === '' ? null : String(value).trim();
}

export async function booleanSetting(
  tx: SqlExecutor,
  ctx: RequestContext,
  key: string,
  fallback: boolean,
): Promise<boolean> {
  const value = (await settingValue(tx, ctx, key))?.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fallback;
}

export async function numberSetting(
  tx: SqlExecutor,
  ctx: RequestContext,
  key: string,
  fallback: number,
): Promise<number> {
  const value = await settingValue(tx, ctx, key);
  const parsed = value === null ? NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}
