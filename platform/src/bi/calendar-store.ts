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
    return rows.map((row) => {
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
    });
  }

  /** Every active calendar of the tenant, with its default shifts and exception days. */
  async calendars(): Promise<WorkingCalendar[]> {
    const calendar = this.entity('calendar');
    const day = this.entity('calendar_day');
    if (!calendar || !day) return [];
    const rows = await this.exec.query<Record<string, unknown>>(
      `SELECT id, calendar_code, year, working_weekdays FROM ${this.table(calendar)} WHERE ${this.scope(calendar)}` +
        ` AND status = 'ACTIVE'`,
      this.scopeParams(calendar),
    );
    const calendars = new Map<number, WorkingCalendar>();
    for (const row of rows)
      calendars.set(Number(row.id), {
        id: Number(row.id),
        code: String(row.calendar_code),
        year: Number(row.year),
        workingWeekdays: weekdays(row.working_weekdays),
        defaultShiftIds: [],
        days: new Map(),
      });
    if (calendars.size === 0) return [];
    for (const link of await this.links(calendar, 'default_shifts'))
      calendars.get(link.source)?.defaultShiftIds.push(link.target);
    const dayRows = await this.exec.query<Record<string, unknown>>(
      `SELECT id, calendar_id, work_date, day_type FROM ${this.table(day)} WHERE ${this.scope(day)}`,
      this.scopeParams(day),
    );
    const dayShifts = new Map<number, number[]>();
    for (const link of await this.links(day, 'shifts'))
      dayShifts.set(link.source, [...(dayShifts.get(link.source) ?? []), link.target]);
    for (const row of dayRows) {
      const date = dateText(row.work_date);
      calendars.get(Number(row.calendar_id))?.days.set(date, {
        date,
        dayType: String(row.day_type),
        shiftIds: dayShifts.get(Number(row.id)) ?? [],
      });
    }
    return [...calendars.values()];
  }

  private async links(
    entity: CompiledEntity,
    fieldName: string,
  ): Promise<{ source: number; target: number }[]> {
    const many = entity.fieldsByName.get(fieldName)?.many;
    if (!many) return [];
    const q = (name: string) => this.exec.dialect.quote(name);
    const rows = await this.exec.query<Record<string, unknown>>(
      `SELECT ${q(many.sourceColumn)} AS source, ${q(many.targetColumn)} AS target FROM ${q(many.through)}`,
    );
    return rows.map((row) => ({ source: Number(row.source), target: Number(row.target) }));
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
