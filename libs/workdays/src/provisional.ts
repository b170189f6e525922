import { chinaDateOf, endOfChinaDay } from './china-time';
import { UnknownCalendarYearError } from './errors';
import type { WorkCalendar } from './work-calendar';

const DAY_MS = 24 * 3600_000;

/** Monday–Friday counting from a China date: only for provisional dates in a year without an official calendar. */
export function addWeekdays(start: string, n: number): string {
  let t = Date.parse(`${start}T00:00:00Z`);
  const weekday = (ms: number) => {
    const d = new Date(ms).getUTCDay();
    return d !== 0 && d !== 6;
  };
  if (n === 0) {
    while (!weekday(t)) t += DAY_MS;
  }
  for (let left = n; left > 0; ) {
    t += DAY_MS;
    if (weekday(t)) left -= 1;
  }
  return new Date(t).toISOString().slice(0, 10);
}

export interface DueDate {
  dueAt: Date;
  /**
   * True when the count reached a year whose official calendar is not loaded: the date was
   * counted on weekdays only and must be recomputed once the year's notice is loaded.
   */
  provisional: boolean;
}

/**
 * A deadline `n` working days after `from` on the official calendar; for a year without data a
 * weekday count flagged provisional, because a case cannot wait for the State Council's notice.
 * Callers that must not guess use `WorkCalendar.dueAtAfterWorkingDays`, which refuses instead.
 */
export function dueAtOrProvisional(calendar: WorkCalendar, from: Date, n: number): DueDate {
  try {
    return { dueAt: calendar.dueAtAfterWorkingDays(from, n), provisional: false };
  } catch (err) {
    if (!(err instanceof UnknownCalendarYearError)) throw err;
    return { dueAt: endOfChinaDay(addWeekdays(chinaDateOf(from), n)), provisional: true };
  }
}
