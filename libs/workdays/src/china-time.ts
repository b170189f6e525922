import { type CalendarDate, formatDayNumber, parseCalendarDate } from './calendar-date';

/**
 * China time: Asia/Shanghai is UTC+8 and has observed no daylight saving time since summer 1991,
 * so the platform treats it as a fixed offset. Plain arithmetic is faster and more predictable
 * than Intl (no dependency on the ICU time-zone data of the runtime).
 */
export const CHINA_UTC_OFFSET_MS = 8 * 60 * 60 * 1000;
export const MS_PER_DAY = 24 * 60 * 60 * 1000;

function instantMs(instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError('Expected a valid Date instant');
  return ms;
}

/** Day number (days since 1970-01-01) of the China calendar day containing `instant`. */
export function chinaDayNumberOf(instant: Date): number {
  return Math.floor((instantMs(instant) + CHINA_UTC_OFFSET_MS) / MS_PER_DAY);
}

/** The last millisecond (23:59:59.999 +08:00) of the China calendar day with this day number. */
export function endOfChinaDayNumber(dayNumber: number): Date {
  return new Date((dayNumber + 1) * MS_PER_DAY - CHINA_UTC_OFFSET_MS - 1);
}

/** The China calendar date (`YYYY-MM-DD`) of an instant, e.g. 2026-01-04T16:00:00Z → 2026-01-05. */
export function chinaDateOf(instant: Date): CalendarDate {
  return formatDayNumber(chinaDayNumberOf(instant));
}

/** 23:59:59.999 China time on `date`, e.g. 2026-10-08 → 2026-10-08T15:59:59.999Z. */
export function endOfChinaDay(date: CalendarDate): Date {
  return endOfChinaDayNumber(parseCalendarDate(date));
}
