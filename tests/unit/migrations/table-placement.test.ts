import { DatabaseConfigError } from '../../../platform/src/data/connection';
import { mysqlDialect } from '../../../platform/src/data/dialect';
import { placedDialect, TablePlacement } from '../../../platform/src/data/table-placement';

describe('table placement (DATABASE_SCHEMA_*)', () => {
  const placement = () => {
    const placed = new TablePlacement({ log: 'mes_log' });
    placed.learn(
      [
        { name: 'audit_log', database: 'log' },
        { name: 'work_order', database: 'core' },
      ],
      ['id', 'wo_no'],
    );
    return placed;
  };

  it('qualifies the tables of a placed logical database and nothing else', () => {
    const dialect = placedDialect(mysqlDialect, placement());
    expect(dialect.quote('audit_log')).toBe('`mes_log`.`audit_log`');
    expect(dialect.quote('work_order')).toBe('`work_order`');
    expect(dialect.quote('id')).toBe('`id`');
    expect(placement().path('audit_log')).toBe('mes_log.audit_log');
  });

  it('keeps a renamed table in its schema', () => {
    const placed = placement();
    placed.renamed('audit_log', 'audit_trail');
    expect(placed.schemaOf('audit_trail')).toBe('mes_log');
    expect(placed.schemaOf('audit_log')).toBeUndefined();
  });

  it('leaves the dialect untouched when nothing is placed apart', () => {
    expect(placedDialect(mysqlDialect, new TablePlacement({}))).toBe(mysqlDialect);
  });

  it('refuses a placed table whose name is also a column name, naming the variable', () => {
    const placed = placement();
    expect(() => placed.learn([], ['audit_log'])).toThrow(DatabaseConfigError);
    expect(() => placed.learn([], ['audit_log'])).toThrow(/DATABASE_SCHEMA_LOG: table "audit_log"/);
  });
});
