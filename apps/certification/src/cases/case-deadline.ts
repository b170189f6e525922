import type { Logger } from '@certhub/logging';
import { caseClock, UnknownCalendarYearError, type WorkCalendar } from '@certhub/workdays';

/**
 * A case's completion deadline from its history's status changes (oldest first): `returned`
 * pauses the clock (the applicant has the case), `submitted` runs it. Null while paused, or when
 * a working-day count needs a year whose official calendar is not loaded (logged).
 */
export function deadlineFromHistory(calendar: WorkCalendar, days: number, changes: Array<{ to_status: string; at: Date }>, logger: Logger, what: string): Date | null {
  try {
    return caseClock(calendar, days, changes.map((r) => ({ at: new Date(r.at), paused: r.to_status === 'returned' }))).dueAt;
  } catch (err) {
    if (!(err instanceof UnknownCalendarYearError)) throw err;
    logger.warn(`no official calendar for the deadline of ${what} yet`, { year: err.year });
    return null;
  }
}
