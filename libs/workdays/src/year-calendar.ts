import { type CalendarDate, formatDayNumber, tryParseCalendarDate, weekdayOfDayNumber, yearOfDayNumber } from './calendar-date';
import { InvalidCalendarError } from './errors';

/** One holiday period of the official notice: every day from `from` to `to` (inclusive) is off. */
export interface HolidayPeriod {
  /** Chinese name as in the notice, e.g. 春节. */
  name: string;
  nameEn?: string;
  from: CalendarDate;
  to: CalendarDate;
}

/** A weekend day that is a working day (调休上班), e.g. 2026-02-14 for 春节. */
export interface MakeUpWorkday {
  date: CalendarDate;
  /** The holiday it makes up for. */
  for?: string;
}

/** The official arrangement for one year (one State Council notice). */
export interface YearCalendar {
  year: number;
  source?: string;
  holidays: HolidayPeriod[];
  workdays: MakeUpWorkday[];
}

export const MIN_CALENDAR_YEAR = 1990;
export const MAX_CALENDAR_YEAR = 2200;

const TOP_LEVEL_FIELDS = new Set(['year', 'source', 'holidays', 'workdays']);
const HOLIDAY_FIELDS = new Set(['name', 'nameEn', 'from', 'to']);
const WORKDAY_FIELDS = new Set(['date', 'for']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? 'an object' : String(value);
}

class Checker {
  constructor(private readonly context: string | undefined) {}

  fail(field: string, problem: string): never {
    throw new InvalidCalendarError(field, problem, this.context);
  }

  object(value: unknown, field: string, allowed: ReadonlySet<string>): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(field, `must be an object, got ${show(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.has(key)) this.fail(field === '$' ? key : `${field}.${key}`, `unknown field (allowed: ${[...allowed].join(', ')})`);
    }
    return value;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `must be an array, got ${show(value)}`);
    return value;
  }

  text(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, `must be a non-empty string, got ${show(value)}`);
    return value;
  }

  optionalText(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.text(value, field);
  }

  /** A valid `YYYY-MM-DD` date inside `year`; returns its day number. */
  dateInYear(value: unknown, field: string, year: number): number {
    const dayNumber = tryParseCalendarDate(value);
    if (dayNumber === undefined) this.fail(field, `must be a real date written YYYY-MM-DD, got ${show(value)}`);
    if (yearOfDayNumber(dayNumber) !== year) this.fail(field, `${value as string} is not in ${year}`);
    return dayNumber;
  }
}

/**
 * Validates untrusted calendar data (a parsed JSON document) and returns a clean copy.
 *
 * Rules: `year` an integer in 1990..2200; `source` an optional string; `holidays` and `workdays`
 * arrays; every date a real `YYYY-MM-DD`; holiday `from` <= `to`; holiday periods do not
 * overlap; a make-up working day is a Saturday or Sunday, is listed once and is not inside a
 * holiday period; no unknown fields anywhere.
 *
 * Every date must lie inside `year`. A notice could in principle place a holiday's end or a
 * make-up day in the adjacent year (e.g. a 元旦 break starting on 31 December); that is not
 * accepted here on purpose, so that one year's file fully and only describes that year: such a
 * day goes into the adjacent year's file instead (both notices are published by then).
 *
 * @param context optional description of where the data came from, used in error messages.
 * @throws InvalidCalendarError naming the offending field.
 */
export function parseYearCalendar(json: unknown, context?: string): YearCalendar {
  // Explicitly typed so that TypeScript narrows after check.fail(...) (it returns never).
  const check: Checker = new Checker(context);
  const doc = check.object(json, '$', TOP_LEVEL_FIELDS);

  const year = doc.year;
  if (typeof year !== 'number' || !Number.isInteger(year)) check.fail('year', `must be an integer, got ${show(year)}`);
  if (year < MIN_CALENDAR_YEAR || year > MAX_CALENDAR_YEAR) {
    check.fail('year', `must be between ${MIN_CALENDAR_YEAR} and ${MAX_CALENDAR_YEAR}, got ${year}`);
  }
  const source = check.optionalText(doc.source, 'source');

  const holidayDays = new Map<number, string>();
  const holidays: HolidayPeriod[] = check.array(doc.holidays, 'holidays').map((raw, index) => {
    const field = `holidays[${index}]`;
    const entry = check.object(raw, field, HOLIDAY_FIELDS);
    const name = check.text(entry.name, `${field}.name`);
    const nameEn = check.optionalText(entry.nameEn, `${field}.nameEn`);
    const from = check.dateInYear(entry.from, `${field}.from`, year);
    const to = check.dateInYear(entry.to, `${field}.to`, year);
    if (from > to) check.fail(`${field}.to`, `${formatDayNumber(to)} is before from (${formatDayNumber(from)})`);
    for (let day = from; day <= to; day += 1) {
      const other = holidayDays.get(day);
      if (other !== undefined) check.fail(field, `${formatDayNumber(day)} is already part of holiday ${other}`);
      holidayDays.set(day, name);
    }
    const period: HolidayPeriod = { name, from: formatDayNumber(from), to: formatDayNumber(to) };
    if (nameEn !== undefined) period.nameEn = nameEn;
    return period;
  });

  const seenWorkdays = new Set<number>();
  const workdays: MakeUpWorkday[] = check.array(doc.workdays, 'workdays').map((raw, index) => {
    const field = `workdays[${index}]`;
    const entry = check.object(raw, field, WORKDAY_FIELDS);
    const date = check.dateInYear(entry.date, `${field}.date`, year);
    const forHoliday = check.optionalText(entry.for, `${field}.for`);
    const weekday = weekdayOfDayNumber(date);
    if (weekday !== 0 && weekday !== 6) {
      check.fail(`${field}.date`, `${formatDayNumber(date)} is not a Saturday or Sunday, so it cannot be a make-up working day`);
    }
    const holiday = holidayDays.get(date);
    if (holiday !== undefined) check.fail(`${field}.date`, `${formatDayNumber(date)} is also a day of holiday ${holiday}`);
    if (seenWorkdays.has(date)) check.fail(`${field}.date`, `${formatDayNumber(date)} is listed twice`);
    seenWorkdays.add(date);
    const workday: MakeUpWorkday = { date: formatDayNumber(date) };
    if (forHoliday !== undefined) workday.for = forHoliday;
    return workday;
  });

  const calendar: YearCalendar = { year, holidays, workdays };
  if (source !== undefined) calendar.source = source;
  return calendar;
}
