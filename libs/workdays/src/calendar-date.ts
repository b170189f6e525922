/**
 * Calendar-date arithmetic on "day numbers" (whole days since 1970-01-01, proleptic Gregorian).
 *
 * Pure integer arithmetic: no Date objects, no Intl, no time zones. A calendar date here is a
 * civil date (a square on the wall calendar), not an instant.
 */

/** A civil date written `YYYY-MM-DD` (four-digit year, zero-padded month and day). */
export type CalendarDate = string;

/** Days before the first of each month in a common year (index 0 = January). */
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

const CHAR_0 = 48;
const CHAR_DASH = 45;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function daysInYear(year: number): number {
  return isLeapYear(year) ? 366 : 365;
}

/** Number of leap years in 1..year (also right for year <= 0 thanks to floor division). */
function leapYearsThrough(year: number): number {
  return Math.floor(year / 4) - Math.floor(year / 100) + Math.floor(year / 400);
}

const LEAP_YEARS_BEFORE_1970 = leapYearsThrough(1969);

/** Day number of January 1st of `year`. */
export function firstDayOfYear(year: number): number {
  return 365 * (year - 1970) + leapYearsThrough(year - 1) - LEAP_YEARS_BEFORE_1970;
}

/** Day number of a (valid) year/month/day. */
export function dayNumberOf(year: number, month: number, day: number): number {
  const leapShift = month > 2 && isLeapYear(year) ? 1 : 0;
  return firstDayOfYear(year) + DAYS_BEFORE_MONTH[month - 1] + leapShift + day - 1;
}

/** The calendar year a day number falls in. */
export function yearOfDayNumber(dayNumber: number): number {
  // The estimate is off by at most one in either direction; correct it.
  let year = 1970 + Math.floor(dayNumber / 365.2425);
  while (firstDayOfYear(year) > dayNumber) year -= 1;
  while (firstDayOfYear(year + 1) <= dayNumber) year += 1;
  return year;
}

/** Day of the week: 0 = Sunday, 1 = Monday, ..., 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDayNumber(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** Formats a day number as `YYYY-MM-DD`. Years outside 0000..9999 are not supported. */
export function formatDayNumber(dayNumber: number): CalendarDate {
  const year = yearOfDayNumber(dayNumber);
  let dayOfYear = dayNumber - firstDayOfYear(year);
  const leap = isLeapYear(year);
  let month = 1;
  for (;;) {
    const length = month === 2 ? (leap ? 29 : 28) : daysInMonth(year, month);
    if (dayOfYear < length) break;
    dayOfYear -= length;
    month += 1;
  }
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(dayOfYear + 1)}`;
}

function digitAt(text: string, index: number): number {
  const digit = text.charCodeAt(index) - CHAR_0;
  return digit >= 0 && digit <= 9 ? digit : Number.NaN;
}

/**
 * Parses a strict `YYYY-MM-DD` string into a day number, or returns `undefined` when the text is
 * not exactly that shape or not a real date (2026-02-29, 2026-13-01, ...).
 */
export function tryParseCalendarDate(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length !== 10) return undefined;
  if (text.charCodeAt(4) !== CHAR_DASH || text.charCodeAt(7) !== CHAR_DASH) return undefined;
  const year = digitAt(text, 0) * 1000 + digitAt(text, 1) * 100 + digitAt(text, 2) * 10 + digitAt(text, 3);
  const month = digitAt(text, 5) * 10 + digitAt(text, 6);
  const day = digitAt(text, 8) * 10 + digitAt(text, 9);
  // NaN fails every comparison below.
  if (!(month >= 1 && month <= 12)) return undefined;
  if (!(day >= 1 && day <= daysInMonth(year, month))) return undefined;
  if (!(year >= 0)) return undefined;
  return dayNumberOf(year, month, day);
}

/** Like {@link tryParseCalendarDate} but throws a RangeError for anything that is not a valid date. */
export function parseCalendarDate(text: CalendarDate): number {
  const dayNumber = tryParseCalendarDate(text);
  if (dayNumber === undefined) {
    throw new RangeError(`Invalid calendar date ${JSON.stringify(text)}: expected a real date written YYYY-MM-DD`);
  }
  return dayNumber;
}
