/**
 * The rollup tables: per rollup, the cells (`bi_rollup_<name>`: tenant, UTC hour, dimension values,
 * sums, row count) and the ledger (`bi_rollup_<name>_src`: each source row's current contribution).
 * Both are derived data, created by the engine and rebuilt from the rows at any time, so they are not
 * part of the migrations.
 *
 * A source row's change moves its contribution: the ledger's old contribution is taken out of its
 * cell and the row as it now stands in the database is put into its cell. Reading the row instead of
 * the event payload makes the result independent of how many events a change emitted and of their
 * order; the consumer claims each event once in the same transaction.
 */
import type { CompiledField } from '../../../metadata/src/model';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import type { Dialect } from '../data/dialect';
import { ROW_COUNT_COLUMN, type CompiledRollup } from './rollups';

interface Contribution {
  hour: string;
  dimensions: unknown[];
  sums: number[];
}

export class RollupStore {
  constructor(private readonly rollup: CompiledRollup) {}

  private get cells(): string {
    return this.rollup.table;
  }

  private get ledger(): string {
    return `${this.rollup.table}_src`;
  }

  private columns(): { time: string; dimensions: string[]; sums: string[] } {
    return {
      time: this.rollup.time.column!,
      dimensions: this.rollup.dimensions.map((f) => f.column!),
      sums: this.rollup.sums.map((f) => f.column!),
    };
  }

  /** Creates the cell and ledger tables when missing. */
  async ensureTables(exec: SqlExecutor): Promise<void> {
    const q = (name: string) => exec.dialect.quote(name);
    const { time, sums } = this.columns();
    const mysql = exec.dialect.name === 'mysql';
    const dimensionColumns = this.rollup.dimensions.map(
      (f) => `${q(f.column!)} ${dimensionType(f, mysql)} NULL`,
    );
    const sumColumns = sums.map((c) => `${q(c)} DECIMAL(24, 4) NOT NULL DEFAULT 0`);
    const datetime = mysql ? 'DATETIME(3)' : 'TEXT';
    const tenant = `${q('tenant_id')} VARCHAR(32) NOT NULL`;
    const suffix = mysql ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    await exec.execute(
      `CREATE TABLE IF NOT EXISTS ${q(this.cells)} (${[
        tenant,
        `${q(time)} ${datetime} NOT NULL`,
        ...dimensionColumns,
        ...sumColumns,
        `${q(ROW_COUNT_COLUMN)} BIGINT NOT NULL DEFAULT 0`,
      ].join(', ')})${suffix}`,
    );
    await exec.execute(
      `CREATE TABLE IF NOT EXISTS ${q(this.ledger)} (${[
        tenant,
        `${q('source_id')} BIGINT NOT NULL`,
        `${q(time)} ${datetime} NOT NULL`,
        ...dimensionColumns,
        ...sumColumns,
        `PRIMARY KEY (${q('tenant_id')}, ${q('source_id')})`,
      ].join(', ')})${suffix}`,
    );
    const index = `ix_${this.cells}_time`.slice(0, 60);
    if (mysql) {
      const found = await exec.query(`SHOW INDEX FROM ${q(this.cells)} WHERE Key_name = ?`, [index]);
      if (found.length === 0)
        await exec.execute(`CREATE INDEX ${q(index)} ON ${q(this.cells)} (${q('tenant_id')}, ${q(time)})`);
    } else
      await exec.execute(
        `CREATE INDEX IF NOT EXISTS ${q(index)} ON ${q(this.cells)} (${q('tenant_id')}, ${q(time)})`,
      );
  }

  /** Whether the ledger is empty while the entity has rows (a rollup that was never built). */
  async isEmpty(exec: SqlExecutor): Promise<boolean> {
    const q = (name: string) => exec.dialect.quote(name);
    const [ledger] = await exec.query(`SELECT 1 AS found FROM ${q(this.ledger)} LIMIT 1`);
    if (ledger) return false;
    const [row] = await exec.query(`SELECT 1 AS found FROM ${q(this.rollup.source.table)} LIMIT 1`);
    return row !== undefined;
  }

  /** Brings one source row's contribution up to date (the row is gone or deleted: no contribution). */
  async apply(tx: SqlExecutor, tenantId: string, sourceId: number): Promise<void> {
    const q = (name: string) => tx.dialect.quote(name);
    const { time, dimensions, sums } = this.columns();
    const list = [time, ...dimensions, ...sums].map(q).join(', ');
    const [previous] = await tx.query<Record<string, unknown>>(
      `SELECT ${list} FROM ${q(this.ledger)} WHERE tenant_id = ? AND source_id = ?`,
      [tenantId, sourceId],
    );
    const source = this.rollup.source;
    const scope = source.softDelete ? ` AND ${q('deleted_at')} IS NULL` : '';
    const [row] = await tx.query<Record<string, unknown>>(
      `SELECT ${hourOf(tx.dialect, q(time))} AS ${q(time)}, ${[...dimensions, ...sums].map(q).join(', ')}` +
        ` FROM ${q(source.table)} WHERE ${q('id')} = ?${source.tenantScoped ? ' AND tenant_id = ?' : ''}${scope}`,
      source.tenantScoped ? [sourceId, tenantId] : [sourceId],
    );
    const before = previous ? this.contribution(previous) : null;
    const after = row && row[time] !== null ? this.contribution(row) : null;
    if (before && after && sameContribution(before, after)) return;
    if (before) {
      await this.addToCell(tx, tenantId, before, -1);
      await tx.execute(`DELETE FROM ${q(this.ledger)} WHERE tenant_id = ? AND source_id = ?`, [
        tenantId,
        sourceId,
      ]);
    }
    if (after) {
      await this.addToCell(tx, tenantId, after, 1);
      await tx.execute(
        `INSERT INTO ${q(this.ledger)} (tenant_id, source_id, ${list}) VALUES (${Array(
          3 + dimensions.length + sums.length,
        )
          .fill('?')
          .join(', ')})`,
        [tenantId, sourceId, after.hour, ...after.dimensions, ...after.sums],
      );
    }
  }

  /**
   * Recomputes the rollup of one tenant (or all) from the rows, in one transaction: the ledger from
   * every live row, the cells from the ledger.
   */
  async rebuild(db: EngineDatabase, tenantId: string | null): Promise<{ rows: number; cells: number }> {
    await this.ensureTables(db.executor());
    return db.transaction(async (tx) => {
      const q = (name: string) => tx.dialect.quote(name);
      const { time, dimensions, sums } = this.columns();
      const tenantWhere = tenantId === null ? '' : ' WHERE tenant_id = ?';
      const tenantParams = tenantId === null ? [] : [tenantId];
      await tx.execute(`DELETE FROM ${q(this.cells)}${tenantWhere}`, tenantParams);
      await tx.execute(`DELETE FROM ${q(this.ledger)}${tenantWhere}`, tenantParams);
      const source = this.rollup.source;
      const conditions = [`${q(time)} IS NOT NULL`];
      if (source.softDelete) conditions.push(`${q('deleted_at')} IS NULL`);
      if (tenantId !== null) conditions.push('tenant_id = ?');
      const values = [...dimensions, ...sums].map(q).join(', ');
      const read = [...dimensions.map(q), ...sums.map((c) => `COALESCE(${q(c)}, 0)`)].join(', ');
      const { affected: rows } = await tx.execute(
        `INSERT INTO ${q(this.ledger)} (tenant_id, source_id, ${q(time)}, ${values})` +
          ` SELECT tenant_id, ${q('id')}, ${hourOf(tx.dialect, q(time))}, ${read} FROM ${q(source.table)}` +
          ` WHERE ${conditions.join(' AND ')}`,
        tenantParams,
      );
      const keys = ['tenant_id', time, ...dimensions].map(q).join(', ');
      const { affected: cells } = await tx.execute(
        `INSERT INTO ${q(this.cells)} (${keys}, ${sums.map(q).join(', ')}, ${q(ROW_COUNT_COLUMN)})` +
          ` SELECT ${keys}, ${sums.map((c) => `SUM(${q(c)})`).join(', ')}, COUNT(*) FROM ${q(this.ledger)}` +
          `${tenantWhere} GROUP BY ${keys}`,
        tenantParams,
      );
      return { rows, cells };
    });
  }

  private contribution(row: Record<string, unknown>): Contribution {
    const { time, dimensions, sums } = this.columns();
    return {
      hour: hourText(row[time]),
      dimensions: dimensions.map((c) => dimensionValue(row[c])),
      sums: sums.map((c) => Number(row[c] ?? 0)),
    };
  }

  private async addToCell(
    tx: SqlExecutor,
    tenantId: string,
    cell: Contribution,
    sign: 1 | -1,
  ): Promise<void> {
    const q = (name: string) => tx.dialect.quote(name);
    const { time, dimensions, sums } = this.columns();
    const same = tx.dialect.name === 'mysql' ? '<=>' : 'IS';
    const where =
      `tenant_id = ? AND ${q(time)} = ?` + dimensions.map((c) => ` AND ${q(c)} ${same} ?`).join('');
    const key = [tenantId, cell.hour, ...cell.dimensions];
    const { affected } = await tx.execute(
      `UPDATE ${q(this.cells)} SET ${[...sums, ROW_COUNT_COLUMN].map((c) => `${q(c)} = ${q(c)} + ?`).join(', ')}` +
        ` WHERE ${where}`,
      [...cell.sums.map((v) => sign * v), sign, ...key],
    );
    if (sign < 0) {
      await tx.execute(`DELETE FROM ${q(this.cells)} WHERE ${where} AND ${q(ROW_COUNT_COLUMN)} <= 0`, key);
      return;
    }
    if (affected === 0)
      await tx.execute(
        `INSERT INTO ${q(this.cells)} (tenant_id, ${[time, ...dimensions, ...sums, ROW_COUNT_COLUMN].map(q).join(', ')})` +
          ` VALUES (${Array(3 + dimensions.length + sums.length)
            .fill('?')
            .join(', ')})`,
        [...key, ...cell.sums, 1],
      );
  }
}

/** SQL cutting a stored UTC datetime to its hour, in the stored format. */
function hourOf(dialect: Dialect, column: string): string {
  return dialect.name === 'sqlite'
    ? `strftime('%Y-%m-%d %H:00:00.000', ${column})`
    : `DATE_FORMAT(${column}, '%Y-%m-%d %H:00:00.000')`;
}

function hourText(value: unknown): string {
  return `${String(value).replace('T', ' ').slice(0, 13)}:00:00.000`;
}

function dimensionValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === 'bigint' ? Number(value) : value;
}

function dimensionType(field: CompiledField, mysql: boolean): string {
  if (!mysql)
    return field.columnType === 'int' || field.columnType === 'bigint' || field.type === 'relation'
      ? 'INTEGER'
      : 'TEXT';
  if (field.type === 'relation' || field.columnType === 'bigint') return 'BIGINT';
  if (field.columnType === 'int') return 'INT';
  if (field.columnType === 'boolean') return 'TINYINT';
  return 'VARCHAR(255)';
}

function sameContribution(a: Contribution, b: Contribution): boolean {
  return (
    a.hour === b.hour &&
    a.dimensions.every((value, i) => String(value) === String(b.dimensions[i])) &&
    a.sums.every((value, i) => value === b.sums[i])
  );
}
