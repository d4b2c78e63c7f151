/**
 * The rollup tables: per rollup, the cells (`bi_rollup_<name>`: tenant, UTC hour, dimension values,
 * sums, row count), the daily cells (`_daily`: the same by zone and wall-clock day, the day given by
 * the UTC instant of its midnight), the zones the daily cells are kept in (`_zones`) and the ledger
 * (`_src`: each source row's current contribution). All are derived data, created by the engine and
 * rebuilt from the rows at any time, so they are not part of the migrations. Each cell table has a
 * covering index led by the tenant and the time, so a range of cells is read from the index alone.
 *
 * A source row's change moves its contribution: the ledger's old contribution is taken out of its
 * cell and the row as it now stands in the database is put into its cell. Reading the row instead of
 * the event payload makes the result independent of how many events a change emitted and of their
 * order; the consumer claims each event once in the same transaction.
 */
import type { CompiledField } from '../../../metadata/src/model';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import type { Dialect } from '../data/dialect';
import { ROW_COUNT_COLUMN, ZONE_COLUMN, type CompiledRollup } from './rollups';
import { dayStart, offsetPeriods, type OffsetPeriod } from './time-zone';

/** InnoDB's longest index key (bytes): a covering index longer than this falls back to (tenant, time). */
const MAX_KEY_BYTES = 3072;
const INSERT_BATCH = 500;

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

  private get daily(): string {
    return this.rollup.daily.table;
  }

  private get zones(): string {
    return `${this.rollup.table}_zones`;
  }

  private columns(): { time: string; dimensions: string[]; sums: string[] } {
    return {
      time: this.rollup.time.column!,
      dimensions: this.rollup.dimensions.map((f) => f.column!),
      sums: this.rollup.sums.map((f) => f.column!),
    };
  }

  /** Creates the cell, daily, zone and ledger tables and their indexes when missing. */
  async ensureTables(exec: SqlExecutor): Promise<void> {
    const q = (name: string) => exec.dialect.quote(name);
    const { time, dimensions, sums } = this.columns();
    const mysql = exec.dialect.name === 'mysql';
    const dimensionColumns = this.rollup.dimensions.map(
      (f) => `${q(f.column!)} ${dimensionType(f, mysql)} NULL`,
    );
    const sumColumns = sums.map((c) => `${q(c)} DECIMAL(24, 4) NOT NULL DEFAULT 0`);
    const datetime = mysql ? 'DATETIME(3)' : 'TEXT';
    const tenant = `${q('tenant_id')} VARCHAR(32) NOT NULL`;
    const zone = `${q(ZONE_COLUMN)} VARCHAR(64) NOT NULL`;
    const suffix = mysql ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    const cellColumns = [
      `${q(time)} ${datetime} NOT NULL`,
      ...dimensionColumns,
      ...sumColumns,
      `${q(ROW_COUNT_COLUMN)} BIGINT NOT NULL DEFAULT 0`,
    ];
    await exec.execute(
      `CREATE TABLE IF NOT EXISTS ${q(this.cells)} (${[tenant, ...cellColumns].join(', ')})${suffix}`,
    );
    await exec.execute(
      `CREATE TABLE IF NOT EXISTS ${q(this.daily)} (${[tenant, zone, ...cellColumns].join(', ')})${suffix}`,
    );
    await exec.execute(
      `CREATE TABLE IF NOT EXISTS ${q(this.zones)} (${[tenant, zone, `PRIMARY KEY (${q('tenant_id')}, ${q(ZONE_COLUMN)})`].join(', ')})${suffix}`,
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
    // Covering: the key, then every value a rollup query reads, so a range is read from the index.
    const covered = [time, ...dimensions, ...sums, ROW_COUNT_COLUMN];
    const fits = (lead: number) =>
      lead + 8 + this.rollup.dimensions.reduce((n, f) => n + dimensionBytes(f), 0) + sums.length * 12 + 8 <=
      MAX_KEY_BYTES;
    await ensureIndex(exec, this.cells, `ix_${this.cells}_cover`, [
      'tenant_id',
      ...(fits(128) ? covered : [time]),
    ]);
    await ensureIndex(exec, this.daily, `ix_${this.daily}_cover`, [
      'tenant_id',
      ZONE_COLUMN,
      ...(fits(128 + 256) ? covered : [time]),
    ]);
    // The plain (tenant, time) index of earlier versions is covered by the one above.
    await dropIndex(exec, this.cells, `ix_${this.cells}_time`.slice(0, 60));
  }

  /**
   * Whether the ledger is empty while the entity has rows (a rollup that was never built), or the
   * ledger has rows but no zone has daily cells (built before daily cells existed).
   */
  async isEmpty(exec: SqlExecutor): Promise<boolean> {
    const q = (name: string) => exec.dialect.quote(name);
    const [ledger] = await exec.query(`SELECT 1 AS found FROM ${q(this.ledger)} LIMIT 1`);
    if (ledger) {
      const [zone] = await exec.query(`SELECT 1 AS found FROM ${q(this.zones)} LIMIT 1`);
      return zone === undefined;
    }
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
    const zones = await this.syncZones(tx, tenantId);
    for (const [cell, sign] of [
      [before, -1],
      [after, 1],
    ] as const)
      if (cell)
        for (const zone of zones)
          await this.addToDay(tx, tenantId, zone, { ...cell, hour: dayOf(cell.hour, zone) }, sign);
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
  async rebuild(
    db: EngineDatabase,
    tenantId: string | null,
  ): Promise<{ rows: number; cells: number; days: number }> {
    await this.ensureTables(db.executor());
    return db.transaction(async (tx) => {
      const q = (name: string) => tx.dialect.quote(name);
      const { time, dimensions, sums } = this.columns();
      const tenantWhere = tenantId === null ? '' : ' WHERE tenant_id = ?';
      const tenantParams = tenantId === null ? [] : [tenantId];
      await tx.execute(`DELETE FROM ${q(this.cells)}${tenantWhere}`, tenantParams);
      await tx.execute(`DELETE FROM ${q(this.daily)}${tenantWhere}`, tenantParams);
      await tx.execute(`DELETE FROM ${q(this.zones)}${tenantWhere}`, tenantParams);
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
      const tenants =
        tenantId === null
          ? (await tx.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM ${q(this.cells)}`)).map(
              (r) => r.tenant_id,
            )
          : [tenantId];
      let days = 0;
      for (const tenant of tenants)
        days += await this.buildDays(tx, tenant, await this.wantedZones(tx, tenant));
      return { rows, cells, days };
    });
  }

  /**
   * The zones whose daily cells the tenant keeps, after adding the ones the zone field names that are
   * not kept yet (a new plant's zone): their cells are built from the hourly cells first, so a listed
   * zone always has complete daily cells.
   */
  private async syncZones(tx: SqlExecutor, tenantId: string): Promise<string[]> {
    const kept = await this.zonesOf(tx, tenantId);
    const missing = (await this.wantedZones(tx, tenantId)).filter((zone) => !kept.includes(zone));
    if (missing.length > 0) await this.buildDays(tx, tenantId, missing);
    return [...kept, ...missing];
  }

  private async wantedZones(tx: SqlExecutor, tenantId: string): Promise<string[]> {
    return ['UTC', ...(await this.declaredZones(tx, tenantId)).filter((zone) => zone !== 'UTC')];
  }

  /** Lists the zones for the tenant and writes their daily cells from its hourly cells. */
  private async buildDays(tx: SqlExecutor, tenantId: string, zones: string[]): Promise<number> {
    const q = (name: string) => tx.dialect.quote(name);
    const { time, dimensions, sums } = this.columns();
    for (const zone of zones)
      await tx.execute(`INSERT INTO ${q(this.zones)} (tenant_id, ${q(ZONE_COLUMN)}) VALUES (?, ?)`, [
        tenantId,
        zone,
      ]);
    const hours = await tx.query<Record<string, unknown>>(
      `SELECT ${[time, ...dimensions, ...sums, ROW_COUNT_COLUMN].map(q).join(', ')} FROM ${q(this.cells)} WHERE tenant_id = ?`,
      [tenantId],
    );
    let written = 0;
    for (const zone of zones) {
      const periods = zone === 'UTC' ? null : offsetPeriods(zone);
      const days = new Map<string, { key: unknown[]; sums: number[]; count: number }>();
      for (const hour of hours) {
        const key = [
          dayOf(hourText(hour[time]), zone, periods),
          ...dimensions.map((c) => dimensionValue(hour[c])),
        ];
        const id = JSON.stringify(key);
        let day = days.get(id);
        if (!day) days.set(id, (day = { key, sums: sums.map(() => 0), count: 0 }));
        sums.forEach((c, i) => (day.sums[i] += Number(hour[c])));
        day.count += Number(hour[ROW_COUNT_COLUMN]);
      }
      const columns = ['tenant_id', ZONE_COLUMN, time, ...dimensions, ...sums, ROW_COUNT_COLUMN];
      const cells = [...days.values()];
      for (let from = 0; from < cells.length; from += INSERT_BATCH) {
        const batch = cells.slice(from, from + INSERT_BATCH);
        await tx.execute(
          `INSERT INTO ${q(this.daily)} (${columns.map(q).join(', ')}) VALUES ${batch
            .map(() => `(${columns.map(() => '?').join(', ')})`)
            .join(', ')}`,
          batch.flatMap((day) => [tenantId, zone, ...day.key, ...day.sums.map(decimal), day.count]),
        );
      }
      written += cells.length;
    }
    return written;
  }

  /** The valid IANA zones the rollup's zone field holds for the tenant. */
  private async declaredZones(tx: SqlExecutor, tenantId: string): Promise<string[]> {
    const source = this.rollup.dayZones;
    if (!source) return [];
    const q = (name: string) => tx.dialect.quote(name);
    const conditions = [`${q(source.column)} IS NOT NULL`];
    if (source.entity.tenantScoped) conditions.push('tenant_id = ?');
    if (source.entity.softDelete) conditions.push(`${q('deleted_at')} IS NULL`);
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT DISTINCT ${q(source.column)} AS zone FROM ${q(source.entity.table)} WHERE ${conditions.join(' AND ')}`,
      source.entity.tenantScoped ? [tenantId] : [],
    );
    return rows
      .map((r) => String(r.zone))
      .filter(knownZone)
      .sort();
  }

  /** Zones whose daily cells the tenant has (an empty list until the rollup is built). */
  async zonesOf(exec: SqlExecutor, tenantId: string): Promise<string[]> {
    const rows = await exec.query<Record<string, unknown>>(
      `SELECT ${exec.dialect.quote(ZONE_COLUMN)} AS zone FROM ${exec.dialect.quote(this.zones)} WHERE tenant_id = ?`,
      [tenantId],
    );
    return rows.map((r) => String(r.zone));
  }

  private contribution(row: Record<string, unknown>): Contribution {
    const { time, dimensions, sums } = this.columns();
    return {
      hour: hourText(row[time]),
      dimensions: dimensions.map((c) => dimensionValue(row[c])),
      sums: sums.map((c) => Number(row[c] ?? 0)),
    };
  }

  private addToCell(tx: SqlExecutor, tenantId: string, cell: Contribution, sign: 1 | -1): Promise<void> {
    return this.addTo(tx, this.cells, ['tenant_id'], [tenantId], cell, sign);
  }

  private addToDay(
    tx: SqlExecutor,
    tenantId: string,
    zone: string,
    cell: Contribution,
    sign: 1 | -1,
  ): Promise<void> {
    return this.addTo(tx, this.daily, ['tenant_id', ZONE_COLUMN], [tenantId, zone], cell, sign);
  }

  private async addTo(
    tx: SqlExecutor,
    table: string,
    leading: string[],
    leadingValues: unknown[],
    cell: Contribution,
    sign: 1 | -1,
  ): Promise<void> {
    const q = (name: string) => tx.dialect.quote(name);
    const { time, dimensions, sums } = this.columns();
    const same = tx.dialect.name === 'mysql' ? '<=>' : 'IS';
    const where = [
      ...leading.map((c) => `${q(c)} = ?`),
      `${q(time)} = ?`,
      ...dimensions.map((c) => `${q(c)} ${same} ?`),
    ].join(' AND ');
    const key = [...leadingValues, cell.hour, ...cell.dimensions];
    const { affected } = await tx.execute(
      `UPDATE ${q(table)} SET ${[...sums, ROW_COUNT_COLUMN].map((c) => `${q(c)} = ${q(c)} + ?`).join(', ')}` +
        ` WHERE ${where}`,
      [...cell.sums.map((v) => sign * v), sign, ...key],
    );
    if (sign < 0) {
      await tx.execute(`DELETE FROM ${q(table)} WHERE ${where} AND ${q(ROW_COUNT_COLUMN)} <= 0`, key);
      return;
    }
    if (affected === 0) {
      const columns = [...leading, time, ...dimensions, ...sums, ROW_COUNT_COLUMN];
      await tx.execute(
        `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        [...key, ...cell.sums, 1],
      );
    }
  }
}

/** Creates an index when a table lacks it (MySQL has no CREATE INDEX IF NOT EXISTS). */
async function ensureIndex(exec: SqlExecutor, table: string, name: string, columns: string[]): Promise<void> {
  const q = (id: string) => exec.dialect.quote(id);
  const index = name.slice(0, 60);
  const list = columns.map(q).join(', ');
  if (exec.dialect.name === 'mysql') {
    const found = await exec.query(`SHOW INDEX FROM ${q(table)} WHERE Key_name = ?`, [index]);
    if (found.length === 0) await exec.execute(`CREATE INDEX ${q(index)} ON ${q(table)} (${list})`);
  } else await exec.execute(`CREATE INDEX IF NOT EXISTS ${q(index)} ON ${q(table)} (${list})`);
}

async function dropIndex(exec: SqlExecutor, table: string, index: string): Promise<void> {
  const q = (id: string) => exec.dialect.quote(id);
  if (exec.dialect.name === 'mysql') {
    const found = await exec.query(`SHOW INDEX FROM ${q(table)} WHERE Key_name = ?`, [index]);
    if (found.length > 0) await exec.execute(`DROP INDEX ${q(index)} ON ${q(table)}`);
  } else await exec.execute(`DROP INDEX IF EXISTS ${q(index)}`);
}

/** The daily cell's time of an hour (`YYYY-MM-DD HH:00:00.000`, UTC): the zone's midnight starting its day. */
function dayOf(hour: string, zone: string, periods: OffsetPeriod[] | null = null): string {
  const instant = Date.parse(`${hour.replace(' ', 'T')}Z`);
  const start =
    zone === 'UTC' ? instant - (instant % 86_400_000) : dayStart(periods ?? offsetPeriods(zone), instant);
  return new Date(start).toISOString().replace('T', ' ').replace('Z', '');
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A decimal sum as exact text (binary float noise dropped). */
function decimal(value: number): string {
  return String(Number(value.toPrecision(15)));
}

function dimensionBytes(field: CompiledField): number {
  if (field.type === 'relation' || field.columnType === 'bigint') return 8;
  if (field.columnType === 'int') return 4;
  if (field.columnType === 'boolean') return 1;
  return 1020;
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
