import {
  type CalendarDate,
  daysInYear,
  firstDayOfYear,
  formatDayNumber,
  parseCalendarDate,
  weekdayOfDayNumber,
  yearOfDayNumber,
} from './calendar-date';
import { chinaDayNumberOf, endOfChinaDayNumber } from './china-time';
import { InvalidCalendarError, UnknownCalendarYearError } from './errors';
import { BUILT_IN_CALENDAR_DATA } from './built-in-data';
import { parseYearCalendar, type YearCalendar } from './year-calendar';

const NON_WORKING = 0;
const WORKING = 1;

/** A year inside [first, last] loaded year that has no data. */
interface Gap {
  readonly year: number;
  /** Index (day number - base) of its January 1st. */
  readonly start: number;
}

function deepFreeze(calendar: YearCalendar): YearCalendar {
  for (const holiday of calendar.holidays) Object.freeze(holiday);
  for (const workday of calendar.workdays) Object.freeze(workday);
  Object.freeze(calendar.holidays);
  Object.freeze(calendar.workdays);
  return Object.freeze(calendar);
}

function assertWorkingDayCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`The number of working days must be an integer >= 0, got ${String(n)}`);
  }
}

let builtIn: WorkCalendar | undefined;

/**
 * Working days on the official Chinese calendar: Monday to Friday, minus the holidays of the
 * State Council notice, plus its make-up working days (调休上班) on weekends.
 *
 * Immutable. Construction precomputes, for the whole span of loaded years, one byte per day
 * (working or not) and a running count of working days, so `isWorkingDay` is an array read,
 * `workingDaysBetween` a subtraction and `addWorkingDays` a binary search.
 *
 * A query that touches a day in a year without data throws {@link UnknownCalendarYearError}:
 * the calendar never guesses from weekends.
 */
export class WorkCalendar {
  /** The validated, frozen calendars by year. */
  readonly #calendars: ReadonlyMap<number, YearCalendar>;
  readonly #years: readonly number[];
  /** Day number of January 1st of the first loaded year (index 0 of the tables). */
  readonly #base: number;
  /** WORKING / NON_WORKING per day; days of gap years are NON_WORKING (and guarded by #gaps). */
  readonly #kind: Uint8Array;
  /** #prefix[i] = number of working days at indexes 0 .. i-1. Length #kind.length + 1. */
  readonly #prefix: Int32Array;
  /** Years without data between the first and the last loaded year, ascending. */
  readonly #gaps: readonly Gap[];
  readonly #holidayNames: ReadonlyMap<number, string>;

  /**
   * @param years one calendar per year; each is validated with `parseYearCalendar`.
   * @throws InvalidCalendarError when a calendar is invalid or a year is given twice.
   */
  constructor(years: readonly YearCalendar[]) {
    const calendars = new Map<number, YearCalendar>();
    years.forEach((raw, index) => {
      const calendar = deepFreeze(parseYearCalendar(raw, `(calendar #${index})`));
      if (calendars.has(calendar.year)) throw new InvalidCalendarError('year', `${calendar.year} is given twice`, `(calendar #${index})`);
      calendars.set(calendar.year, calendar);
    });
    this.#calendars = calendars;
    this.#years = Object.freeze([...calendars.keys()].sort((a, b) => a - b));

    const first = this.#years[0];
    const last = this.#years[this.#years.length - 1];
    this.#base = first === undefined ? 0 : firstDayOfYear(first);
    const length = first === undefined || last === undefined ? 0 : firstDayOfYear(last + 1) - this.#base;
    this.#kind = new Uint8Array(length);

    const gaps: Gap[] = [];
    const holidayNames = new Map<number, string>();
    if (first !== undefined && last !== undefined) {
      for (let year = first; year <= last; year += 1) {
        const start = firstDayOfYear(year) - this.#base;
        const calendar = calendars.get(year);
        if (calendar === undefined) {
          gaps.push({ year, start });
          continue;
        }
        const days = daysInYear(year);
        for (let i = 0; i < days; i += 1) {
          const weekday = weekdayOfDayNumber(this.#base + start + i);
          this.#kind[start + i] = weekday === 0 || weekday === 6 ? NON_WORKING : WORKING;
        }
        for (const holiday of calendar.holidays) {
          const to = parseCalendarDate(holiday.to);
          for (let day = parseCalendarDate(holiday.from); day <= to; day += 1) {
            this.#kind[day - this.#base] = NON_WORKING;
            holidayNames.set(day, holiday.name);
          }
        }
        for (const workday of calendar.workdays) {
          this.#kind[parseCalendarDate(workday.date) - this.#base] = WORKING;
        }
      }
    }
    this.#gaps = Object.freeze(gaps);
    this.#holidayNames = holidayNames;

    this.#prefix = new Int32Array(length + 1);
    for (let i = 0; i < length; i += 1) this.#prefix[i + 1] = this.#prefix[i] + this.#kind[i];
  }

  /** The built-in official calendars (2024, 2025, 2026). Shared instance (it is immutable). */
  static builtIn(): WorkCalendar {
    builtIn ??= new WorkCalendar(BUILT_IN_CALENDAR_DATA.map((json) => parseYearCalendar(json)));
    return builtIn;
  }

  /** A new calendar with `calendar`'s year added, or replaced if this one already has it. */
  withYear(calendar: YearCalendar): WorkCalendar {
    return this.withYears([calendar]);
  }

  /** A new calendar with several years added or replaced (one rebuild instead of one per year). */
  withYears(calendars: readonly YearCalendar[]): WorkCalendar {
    const merged = new Map(this.#calendars);
    const replaced = new Set<number>();
    calendars.forEach((raw, index) => {
      const calendar = parseYearCalendar(raw, `(calendar #${index})`);
      if (replaced.has(calendar.year)) throw new InvalidCalendarError('year', `${calendar.year} is given twice`, `(calendar #${index})`);
      replaced.add(calendar.year);
      merged.set(calendar.year, calendar);
    });
    return new WorkCalendar([...merged.values()]);
  }

  /** The years with data, ascending. */
  years(): number[] {
    return [...this.#years];
  }

  hasYear(year: number): boolean {
    return this.#calendars.has(year);
  }

  /** The validated data of one year (frozen), or undefined. */
  yearCalendar(year: number): YearCalendar | undefined {
    return this.#calendars.get(year);
  }

  /** Whether `date` is a working day (a weekday that is not a holiday, or a make-up working day). */
  isWorkingDay(date: CalendarDate): boolean {
    return this.#kind[this.#indexOf(parseCalendarDate(date))] === WORKING;
  }

  /** The name of the official holiday `date` belongs to (e.g. 春节), or null. Weekends have none. */
  holidayName(date: CalendarDate): string | null {
    const dayNumber = parseCalendarDate(date);
    this.#indexOf(dayNumber);
    return this.#holidayNames.get(dayNumber) ?? null;
  }

  /**
   * The n-th working day after `start`. `start` itself never counts, whether or not it is a
   * working day; n = 0 returns `start` if it is a working day, else the next working day.
   *
   * @throws RangeError if n is negative or not an integer, or `start` is not a valid date.
   * @throws UnknownCalendarYearError if `start`, or any day up to the result, is in a year without data.
   */
  addWorkingDays(start: CalendarDate, n: number): CalendarDate {
    assertWorkingDayCount(n);
    return formatDayNumber(this.#addWorkingDays(parseCalendarDate(start), n));
  }

  /**
   * The number of working days d with from < d <= to, so that
   * `workingDaysBetween(a, addWorkingDays(a, n)) === n` for n >= 1 (and for n = 0 when `a` is a
   * working day). When to < from the result is -workingDaysBetween(to, from).
   *
   * @throws UnknownCalendarYearError if either date, or any day between them, is in a year without data.
   */
  workingDaysBetween(from: CalendarDate, to: CalendarDate): number {
    return this.#between(parseCalendarDate(from), parseCalendarDate(to));
  }

  /**
   * Deadline `n` working days after an instant: the end (23:59:59.999 China time) of the China
   * day `addWorkingDays(chinaDateOf(from), n)`.
   */
  dueAtAfterWorkingDays(from: Date, n: number): Date {
    assertWorkingDayCount(n);
    return endOfChinaDayNumber(this.#addWorkingDays(chinaDayNumberOf(from), n));
  }

  /** `workingDaysBetween` of the China dates of two instants. */
  workingDaysElapsed(from: Date, to: Date): number {
    return this.#between(chinaDayNumberOf(from), chinaDayNumberOf(to));
  }

  /** Index into the tables of a day number; throws if its year has no data. */
  #indexOf(dayNumber: number): number {
    const index = dayNumber - this.#base;
    if (index < 0 || index >= this.#kind.length) throw new UnknownCalendarYearError(yearOfDayNumber(dayNumber));
    if (this.#gaps.length > 0) {
      const year = yearOfDayNumber(dayNumber);
      if (!this.#calendars.has(year)) throw new UnknownCalendarYearError(year);
    }
    return index;
  }

  /** The first gap year starting after index `after`, if any. */
  #firstGapAfter(after: number): Gap | undefined {
    for (const gap of this.#gaps) if (gap.start > after) return gap;
    return undefined;
  }

  #addWorkingDays(startDay: number, n: number): number {
    const start = this.#indexOf(startDay);
    const prefix = this.#prefix;
    const length = this.#kind.length;
    // Find the smallest index j (j >= start for n = 0, j > start otherwise) whose running count
    // prefix[j + 1] reaches the target; prefix is non-decreasing, so binary search.
    const target = n === 0 ? prefix[start] + 1 : prefix[start + 1] + n;
    if (target > prefix[length]) {
      const gap = this.#firstGapAfter(start);
      throw new UnknownCalendarYearError(gap?.year ?? this.#years[this.#years.length - 1] + 1);
    }
    let low = start;
    let high = length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (prefix[mid + 1] >= target) high = mid;
      else low = mid + 1;
    }
    const gap = this.#firstGapAfter(start);
    if (gap !== undefined && gap.start <= low) throw new UnknownCalendarYearError(gap.year);
    return this.#base + low;
  }

  #between(fromDay: number, toDay: number): number {
    const from = this.#indexOf(fromDay);
    const to = this.#indexOf(toDay);
    if (from === to) return 0;
    const low = Math.min(from, to);
    const high = Math.max(from, to);
    const gap = this.#firstGapAfter(low);
    if (gap !== undefined && gap.start <= high) throw new UnknownCalendarYearError(gap.year);
    const count = this.#prefix[high + 1] - this.#prefix[low + 1];
    return from < to || count === 0 ? count : -count;
  }
}
