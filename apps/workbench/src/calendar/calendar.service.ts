import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger } from '@certhub/logging';
import {
  dueAtOrProvisional,
  InvalidCalendarError,
  parseYearCalendar,
  UnknownCalendarYearError,
  WorkCalendar,
  type YearCalendar,
} from '@certhub/workdays';
import { loadCalendarDirectory } from '@certhub/workdays';
import { WorkbenchConfig } from '../workbench.config';
import { WorkbenchErrors } from '../workbench.errors';
import { CalendarYearRow } from './calendar-year.entity';

const RELOAD_MS = 60_000;

export interface DueDates {
  dueAt: Date;
  escalateAt: Date | null;
  /** Counted on weekdays only because a year's official calendar is missing. */
  provisional: boolean;
}

/**
 * The official calendar as the workbench knows it: the years shipped with the release, the
 * files of WORKDAYS_CALENDAR_DIR, and the years an admin loaded (newest wins). Reloaded every
 * minute, so every instance picks up a year another instance stored.
 */
@Injectable()
export class CalendarService {
  private calendar: WorkCalendar = WorkCalendar.builtIn();
  private loadedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: WorkbenchConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * The calendar as last loaded. Once it is older than a minute the first caller starts one
   * reload and every caller meanwhile waits for that same one (not a reload each).
   */
  async current(): Promise<WorkCalendar> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    return this.calendar;
  }

  /** Reloads the calendar; callers while a reload runs share it. */
  reload(): Promise<WorkCalendar> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private reloading?: Promise<WorkCalendar>;

  private async load(): Promise<WorkCalendar> {
    let calendar = WorkCalendar.builtIn();
    if (this.config.WORKDAYS_CALENDAR_DIR) {
      for (const year of loadCalendarDirectory(this.config.WORKDAYS_CALENDAR_DIR)) calendar = calendar.withYear(year);
    }
    const rows = await this.dataSource.getRepository(CalendarYearRow).find({ order: { year: 'ASC' } });
    for (const row of rows) {
      try {
        calendar = calendar.withYear(parseYearCalendar(row.data));
      } catch (err) {
        this.logger.error('a stored calendar year is invalid; ignored', { year: row.year, err });
      }
    }
    this.calendar = calendar;
    this.loadedAt = Date.now();
    return calendar;
  }

  async years(): Promise<Array<{ year: number; source: 'built-in' | 'loaded'; holidays: number; makeUpDays: number }>> {
    const calendar = await this.current();
    const loaded = new Set((await this.dataSource.getRepository(CalendarYearRow).find({ select: { year: true } })).map((r) => r.year));
    return calendar.years().map((year) => {
      const y = calendar.yearCalendar(year);
      return { year, source: loaded.has(year) ? 'loaded' : 'built-in', holidays: y?.holidays.length ?? 0, makeUpDays: y?.workdays.length ?? 0 };
    });
  }

  async store(year: number, body: unknown, actorId: string): Promise<YearCalendar> {
    let parsed: YearCalendar;
    try {
      parsed = parseYearCalendar(body);
    } catch (err) {
      if (err instanceof InvalidCalendarError) throw WorkbenchErrors.error('WORKDAYS_CALENDAR_INVALID', { field: 'body', en: err.message });
      throw err;
    }
    if (parsed.year !== year) throw WorkbenchErrors.error('WORKDAYS_CALENDAR_INVALID', { field: 'year', en: 'The year in the path and in the body differ.' });
    await this.dataSource.query(
      `INSERT INTO calendar_year (year, data, loaded_by, loaded_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (year) DO UPDATE SET data = EXCLUDED.data, loaded_by = EXCLUDED.loaded_by, loaded_at = now()`,
      [year, JSON.stringify(body), actorId],
    );
    // A reload that began before the write would not see it: wait for it, then load again.
    await this.reloading?.catch(() => undefined);
    await this.reload();
    return parsed;
  }

  /** `n` working days after `from` (China time), or a clear refusal for a year without data. */
  async addWorkingDays(from: string, n: number): Promise<string> {
    const calendar = await this.current();
    try {
      return calendar.addWorkingDays(from, n);
    } catch (err) {
      throw this.refusal(err);
    }
  }

  async isWorkingDay(date: string): Promise<boolean> {
    const calendar = await this.current();
    try {
      return calendar.isWorkingDay(date);
    } catch (err) {
      throw this.refusal(err);
    }
  }

  /**
   * Due date (end of the n-th working day after `from`, China time) and escalation date. When
   * the calendar of a year on the way is not loaded yet, the dates are counted on weekdays only
   * and flagged provisional; loading that year recomputes them.
   */
  async dueDates(from: Date, dueDays: number, escalateDays: number | null): Promise<DueDates> {
    const calendar = await this.current();
    const due = dueAtOrProvisional(calendar, from, dueDays);
    const escalate = escalateDays === null ? null : dueAtOrProvisional(calendar, due.dueAt, escalateDays);
    const provisional = due.provisional || (escalate?.provisional ?? false);
    if (provisional) this.logger.warn('a due date reaches a year without an official calendar; counted on weekdays until it is loaded');
    return { dueAt: due.dueAt, escalateAt: escalate?.dueAt ?? null, provisional };
  }

  private refusal(err: unknown): unknown {
    if (err instanceof UnknownCalendarYearError) {
      return WorkbenchErrors.error('WORKDAYS_YEAR_UNKNOWN', { details: { year: err.year } });
    }
    if (err instanceof RangeError) return WorkbenchErrors.error('WORKBENCH_QUERY_INVALID', { field: 'days', en: err.message });
    return err;
  }
}
