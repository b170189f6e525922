/** Earliest birth date accepted in a resident ID number. */
export const EARLIEST_BIRTH_DATE = '1900-01-01';

/** China Standard Time is UTC+08:00 all year (no daylight saving). */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    return isLeapYear(year) ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True when year/month/day (month 1–12) names a day of the Gregorian calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/** `YYYY-MM-DD`; years are always 4 digits in this domain. */
export function formatIsoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Today's date in China (UTC+08:00) as `YYYY-MM-DD`. Birth dates in ID numbers
 * are Chinese calendar days, so "in the future" is judged against China's date,
 * not the server's time zone.
 */
export function chinaToday(now: Date): string {
  const shifted = new Date(now.getTime() + CHINA_OFFSET_MS);
  return formatIsoDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}
