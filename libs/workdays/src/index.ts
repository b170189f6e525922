export type { CalendarDate } from './calendar-date';
export { InvalidCalendarError, UnknownCalendarYearError } from './errors';
export {
  MAX_CALENDAR_YEAR,
  MIN_CALENDAR_YEAR,
  parseYearCalendar,
  type HolidayPeriod,
  type MakeUpWorkday,
  type YearCalendar,
} from './year-calendar';
export { WorkCalendar } from './work-calendar';
export { chinaDateOf, endOfChinaDay } from './china-time';
// Uses node:fs / node:path (the rest of the library is pure).
export { loadCalendarDirectory } from './load';
export { caseClock, type CaseClock, type ClockChange } from './case-clock';
export { addWeekdays, dueAtOrProvisional, type DueDate } from './provisional';
