import { ApiError } from '../api/http';
import type { EntityRecord } from '../api/meta';
import type { AvailableAction } from '../api/workflow';

export interface BulkOutcome {
  done: number;
  failures: { id: number; message: string }[];
}

/**
 * Runs one request per record, one after another so the server is never flooded and progress is
 * exact; a failing record is reported and the rest still run.
 */
export async function runEach(
  records: EntityRecord[],
  request: (record: EntityRecord) => Promise<unknown>,
  onProgress: (percent: number) => void,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { done: 0, failures: [] };
  onProgress(0);
  for (const [index, record] of records.entries()) {
    try {
      await request(record);
      outcome.done++;
    } catch (e) {
      outcome.failures.push({ id: record.id, message: e instanceof ApiError ? e.message : String(e) });
    }
    onProgress(Math.round(((index + 1) / records.length) * 100));
  }
  return outcome;
}

/**
 * Actions every one of the records offers now, in the order the first record lists them; what one
 * record's transition needs (reason, signature, fields) the bulk dialog asks for all of them.
 */
export function commonActions(perRecord: AvailableAction[][]): AvailableAction[] {
  if (perRecord.length === 0) return [];
  const [first, ...rest] = perRecord;
  return first.flatMap((action) => {
    const same = rest.map((list) => list.find((a) => a.action === action.action));
    if (same.some((a) => a === undefined)) return [];
    const all = [action, ...(same as AvailableAction[])];
    return [
      {
        ...action,
        reasonRequired: all.some((a) => a.reasonRequired),
        signature: all.some((a) => a.signature),
        approvalVote: all.some((a) => a.approvalVote),
        requiredFields: [...new Set(all.flatMap((a) => a.requiredFields ?? []))],
      },
    ];
  });
}

/**
 * What to tell the operator when a bulk delete was refused (nothing was deleted): how many rows
 * failed and why the first did, by record id; any other error as it came.
 */
export function bulkDeleteFailure(
  error: unknown,
  rows: readonly { id: number }[],
  t: (key: string, values?: Record<string, unknown>) => string,
): string {
  if (!(error instanceof ApiError)) return String(error);
  const [first] = error.rows;
  if (!first) return error.message;
  const id = rows[first.row]?.id;
  return `${t('bulk.noneDeleted')} ${t('bulk.failed', {
    n: error.rows.length,
    first: `${id === undefined ? '' : `#${id} `}${first.message}`,
  })}`;
}
