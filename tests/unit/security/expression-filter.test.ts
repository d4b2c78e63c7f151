import {
  expressionToFilter,
  ScopeExpressionError,
} from '../../../platform/src/security/authorization/expression-filter';
import { principal, securityModel } from '../../fixtures/security/model';

/** Role scope filters compile to row filters with the caller's values bound, never to raw SQL. */
describe('scope filter expressions', () => {
  const workOrder = securityModel().entities.get('work_order')!;
  const caller = principal(['released_viewer'], { userId: '42', lineIds: [11, 12], supplierId: 9 });

  it('binds the caller variables', () => {
    expect(expressionToFilter("status == 'RELEASED' and line in $lines", workOrder, caller)).toEqual({
      kind: 'and',
      conditions: [
        { field: 'status', op: 'eq', value: 'RELEASED' },
        { field: 'lineId', op: 'in', value: [11, 12] },
      ],
    });
    expect(expressionToFilter('created_by == $user or line == $user.supplier', workOrder, caller)).toEqual({
      kind: 'or',
      conditions: [
        { field: 'createdBy', op: 'eq', value: '42' },
        { field: 'lineId', op: 'eq', value: 9 },
      ],
    });
  });

  it('turns comparisons with null into IS NULL and IS NOT NULL', () => {
    expect(expressionToFilter('line == null', workOrder, caller)).toEqual({
      field: 'lineId',
      op: 'null',
      value: true,
    });
    expect(expressionToFilter('line != null', workOrder, caller)).toEqual({
      field: 'lineId',
      op: 'notNull',
      value: true,
    });
  });

  it('refuses unknown caller variables and fields', () => {
    expect(() => expressionToFilter('created_by == current_user', workOrder, caller)).toThrow(
      ScopeExpressionError,
    );
    expect(() => expressionToFilter('nope == $user', workOrder, caller)).toThrow("unknown field 'nope'");
  });
});
