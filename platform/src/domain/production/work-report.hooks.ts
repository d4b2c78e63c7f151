import { BusinessRuleError } from '../../crud/errors';
import type { EntityHooks } from '../../generated/domain-hooks';
import { assignReportLot, postWorkReport } from './work-report-posting';

/**
 * A work report is a posting: creating it books its good and scrap quantities on the operation, the
 * lot and the work order (work-report-posting.ts). What it posted cannot be edited or deleted
 * afterwards — the quantities, genealogy and trace events already carry it; remarks, shift, labour
 * time and scrap reason stay editable.
 */
const POSTED_FIELDS = [
  'workOrderId',
  'woOperationId',
  'lotId',
  'operatorId',
  'workstationId',
  'goodQuantity',
  'scrapQuantity',
  'startTime',
  'endTime',
];

export const hooks: EntityHooks = {
  before: {
    create: ({ tx, ctx, body }) => assignReportLot(tx, ctx, body),
    update: ({ body }) => {
      const changed = POSTED_FIELDS.filter((field) => field in body);
      if (changed.length === 0) return;
      throw new BusinessRuleError('A posted work report keeps what it booked', {
        rule: 'posted',
        errors: changed.map((field) => ({
          field,
          path: `/${field}`,
          rule: 'posted',
          message: `${field} was booked when the report was posted and cannot change`,
        })),
      });
    },
    delete: ({ id }) => {
      throw new BusinessRuleError(`Work report ${String(id)} is posted and cannot be deleted`, {
        rule: 'posted',
      });
    },
  },
  inTransaction: {
    create: ({ tx, ctx, record, records }) => postWorkReport(tx, ctx, record, records),
  },
};
