import { RowStore } from '../../data/row-store';
import { runtimeOf } from '../../kernel/model-runtime';
import type { QualityWrite } from './quality-records';

export interface FailedItemDefect {
  /** qms_code id of the defect, null when the item names none. */
  defectCodeId: number | null;
  count: number;
}

/** A defect code as the summary needs it. */
export interface DefectCode {
  code: string;
  severity: string | null;
}

/**
 * `defect_summary` of the `inspection.failed` event: every defect counts in
 * `total`; `major` counts MAJOR and CRITICAL codes (`critical` the CRITICAL ones alone), `minor` the
 * MINOR ones; `defect_codes` counts per code, most frequent first. Defects without a code (or an
 * inspection failed on its defect quantity alone) count in `total` only.
 */
export interface DefectSummary {
  total: number;
  major: number;
  minor: number;
  critical: number;
  defect_codes: { code: string; count: number }[];
}

export function summarizeDefects(
  total: number,
  defects: readonly FailedItemDefect[],
  codes: ReadonlyMap<number, DefectCode>,
): DefectSummary {
  const summary: DefectSummary = { total, major: 0, minor: 0, critical: 0, defect_codes: [] };
  const perCode = new Map<string, number>();
  for (const defect of defects) {
    const code = defect.defectCodeId === null ? undefined : codes.get(defect.defectCodeId);
    if (!code) continue;
    perCode.set(code.code, (perCode.get(code.code) ?? 0) + defect.count);
    if (code.severity === 'MAJOR' || code.severity === 'CRITICAL') summary.major += defect.count;
    if (code.severity === 'CRITICAL') summary.critical += defect.count;
    if (code.severity === 'MINOR') summary.minor += defect.count;
  }
  summary.defect_codes = [...perCode]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  return summary;
}

/** Reads the defect codes the failed items name, then summarizes. */
export async function defectSummaryOf(
  write: QualityWrite,
  total: number,
  defects: readonly FailedItemDefect[],
): Promise<DefectSummary> {
  const ids = [...new Set(defects.flatMap((d) => (d.defectCodeId === null ? [] : [d.defectCodeId])))];
  const qmsCode = runtimeOf(write.ctx.model).entity('qms_code').entity;
  const rows = ids.length > 0 ? await new RowStore(write.ctx.tenantId).byIds(write.tx, qmsCode, ids) : [];
  const codes = new Map(
    rows.map((row) => [
      Number(row.id),
      { code: String(row.code), severity: (row.severity as string | null) ?? null },
    ]),
  );
  return summarizeDefects(total, defects, codes);
}
