/**
 * Reads the master data that shift buckets and planned production time are cut from: the tenant's
 * active shifts, and the working calendars with their exception days. Table and column names come
 * from the Model, so a renamed table or a tenant's soft-deleted rows are handled as everywhere else.
 */
import type { CompiledEntity, Model } from '../../../metadata/src/model';
import type { SqlExecutor } from '../data/database';

/** A shift's clock window in the plant's local time, in minutes after midnight. */
export interface ShiftWindow {
  id: number;
  code: string;
  startMinute: number;
  endMinute: number;
  crossesMidnight: boolean;
  breakMinutes: number;
}

export interface CalendarDay {
  date: string;
  dayType: string;
  shiftIds: number[];
}

export interface WorkingCalendar {
  id: number;
  code: string;
  year: number;
  workingWeekdays: number[];
  defaultShiftIds: number[];
  days: Map<string, CalendarDay>;
}

/** The tenant's active calendars and shifts. */
export interface WorkingTime {
  calendars: WorkingCalendar[];
  shifts: ShiftWindow[];
}

/** `workingTime` sent ahead, decoded when read. */
export interface PendingWorkingTime {
  read(): Promise<WorkingTime>;
}

export class CalendarStore {
  constructor(
    private readonly exec: SqlExecutor,
    private readonly model: Model,
    private readonly tenantId: string,
  ) {}

  /** Active shifts ordered by start time (the first window that contains an instant claims it). */
  async shifts(): Promise<ShiftWindow[]> {
    const shift = this.entity('shift');
    if (!shift) return [];
    const rows = await this.exec.query<Record<string, unknown>>(
      `SELECT id, shift_code, start_time, end_time, crosses_midnight, break_minutes FROM ${this.table(shift)}` +
        ` WHERE ${this.scope(shift)} AND status = 'ACTIVE' ORDER BY start_time, shift_code`,
      this.scopeParams(shift),
    );
    return rows.map(toShift);
  }

  /** Every active calendar of the tenant, with its default shifts and exception days. */
  async calendars(): Promise<WorkingCalendar[]> {
    return (await this.workingTime()).calendars;
  }

  /**
   * The calendars (as `calendars`) and the active shifts (as `shifts`) in one statement: the
   * calendars, their default shifts, their days, the days' shifts and the shifts as the parts of
   * one UNION ALL, each row tagged with its part. Rules read both on every write they check, where
   * five round trips cost more than the rows.
   */
  async workingTime(): Promise<WorkingTime> {
    const statement = this.workingTimeStatement();
    if (!statement) return { calendars: [], shifts: [] };
    return workingTimeOf(await this.exec.query<Record<string, unknown>>(statement.sql, statement.params));
  }

  /**
   * `workingTime` sent ahead (`queryLater`): it travels with the transaction's next statement and
   * is decoded only when asked for.
   */
  workingTimeAhead(): PendingWorkingTime {
    const statement = this.workingTimeStatement();
    if (!statement) return { read: () => Promise.resolve({ calendars: [], shifts: [] }) };
    const pending = this.exec.queryLater<Record<string, unknown>>(statement.sql, statement.params);
    return { read: async () => workingTimeOf(await pending.rows()) };
  }

  private workingTimeStatement(): { sql: string; params: unknown[] } | null {
    const calendar = this.entity('calendar');
    const day = this.entity('calendar_day');
    const shift = this.entity('shift');
    const parts: string[] = [];
    const params: unknown[] = [];
    const part = (kind: string, columns: readonly string[], from: string, scopeParams: unknown[] = []) => {
      const selected = Array.from({ length: 6 }, (_, i) => `${columns[i] ?? 'NULL'} AS c${i}`);
      parts.push(`SELECT '${kind}' AS k, ${selected.join(', ')} FROM ${from}`);
      params.push(...scopeParams);
    };
    if (calendar && day) {
      part(
        'calendar',
        ['id', 'calendar_code', 'year', 'working_weekdays'],
        `${this.table(calendar)} WHERE ${this.scope(calendar)} AND status = 'ACTIVE'`,
        this.scopeParams(calendar),
      );
      const defaults = this.linkTable(calendar, 'default_shifts');
      if (defaults) part('default', defaults.columns, defaults.from);
      part(
        'day',
        ['id', 'calendar_id', 'work_date', 'day_type'],
        `${this.table(day)} WHERE ${this.scope(day)}`,
        this.scopeParams(day),
      );
      const dayShifts = this.linkTable(day, 'shifts');
      if (dayShifts) part('day_shift', dayShifts.columns, dayShifts.from);
    }
    if (shift)
      part(
        'shift',
        ['id', 'shift_code', 'start_time', 'end_time', 'crosses_midnight', 'break_minutes'],
        `${this.table(shift)} WHERE ${this.scope(shift)} AND status = 'ACTIVE'`,
        this.scopeParams(shift),
      );
    if (parts.length === 0) return null;
    // No ORDER BY: sorting the union makes MariaDB build a temporary table, which cost more than the
    // rest of a create's statements together; `workingTimeOf` orders the few rows instead.
    return { sql: parts.join(' UNION ALL '), params };
  }

  /** The link table of a many field as a UNION part: its source and target columns. */
  private linkTable(entity: CompiledEntity, fieldName: string): { columns: string[]; from: string } | null {
    const many = entity.fieldsByName.get(fieldName)?.many;
    if (!many) return null;
    const q = (name: string) => this.exec.dialect.quote(name);
    return { columns: [q(many.sourceColumn), q(many.targetColumn)], from: q(many.through) };
  }

  private entity(name: string): CompiledEntity | undefined {
    return this.model.entities.get(name);
  }

  private table(entity: CompiledEntity): string {
    return this.exec.dialect.quote(entity.table);
  }

  private scope(entity: CompiledEntity): string {
    const parts = ['1 = 1'];
    if (entity.tenantScoped) parts.push('tenant_id = ?');
    if (entity.softDelete) parts.push('deleted_at IS NULL');
    return parts.join(' AND ');
  }

  private scopeParams(entity: CompiledEntity): unknown[] {
    return entity.tenantScoped ? [this.tenantId] : [];
  }
}

function toShift(row: Record<string, unknown>): ShiftWindow {
  const startMinute = clockMinutes(row.start_time);
  const endMinute = clockMinutes(row.end_time);
  return {
    id: Number(row.id),
    code: String(row.shift_code),
    startMinute,
    endMinute,
    crossesMidnight: Boolean(Number(row.crosses_midnight)) || endMinute <= startMinute,
    breakMinutes: Number(row.break_minutes ?? 0),
  };
}

function clockMinutes(value: unknown): number {
  const [hours, minutes] = String(value).split(':').map(Number);
  return hours * 60 + minutes;
}

function weekdays(value: unknown): number[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.map(Number) : [1, 2, 3, 4, 5];
}

function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
}

/** The calendars and shifts of `workingTime`'s rows. */
function workingTimeOf(rows: readonly Record<string, unknown>[]): WorkingTime {
  const of = (kind: string) => rows.filter((row) => row.k === kind);
  const shifts = of('shift').map((row) =>
    toShift({
      id: row.c0,
      shift_code: row.c1,
      start_time: row.c2,
      end_time: row.c3,
      crosses_midnight: row.c4,
      break_minutes: row.c5,
    }),
  );
  // In start-time order: the first window that contains an instant claims it.
  shifts.sort((a, b) => a.startMinute - b.startMinute || compareText(a.code, b.code));
  const calendars = new Map<number, WorkingCalendar>();
  for (const row of of('calendar'))
    calendars.set(Number(row.c0), {
      id: Number(row.c0),
      code: String(row.c1),
      year: Number(row.c2),
      workingWeekdays: weekdays(row.c3),
      defaultShiftIds: [],
      days: new Map(),
    });
  if (calendars.size === 0) return { calendars: [], shifts };
  for (const link of of('default')) calendars.get(Number(link.c0))?.defaultShiftIds.push(Number(link.c1));
  const dayShifts = new Map<number, number[]>();
  for (const link of of('day_shift'))
    dayShifts.set(Number(link.c0), [...(dayShifts.get(Number(link.c0)) ?? []), Number(link.c1)]);
  for (const ids of dayShifts.values()) ids.sort((a, b) => a - b);
  for (const row of of('day')) {
    const date = dateText(row.c2);
    calendars.get(Number(row.c1))?.days.set(date, {
      date,
      dayType: String(row.c3),
      shiftIds: dayShifts.get(Number(row.c0)) ?? [],
    });
  }
  for (const calendar of calendars.values()) calendar.defaultShiftIds.sort((a, b) => a - b);
  const ordered = [...calendars.values()].sort((a, b) => a.year - b.year || compareText(a.code, b.code));
  return { calendars: ordered, shifts };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
