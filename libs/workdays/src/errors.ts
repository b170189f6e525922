/**
 * Thrown when a query needs a date in a year the calendar has no official data for. The library
 * never falls back to "Monday to Friday": a wrong deadline is worse than a loud failure.
 */
export class UnknownCalendarYearError extends Error {
  readonly code = 'WORKDAYS_YEAR_UNKNOWN';
  readonly messageZh: string;

  constructor(readonly year: number) {
    super(
      `No working-day calendar for ${year}: the State Council holiday arrangement for that year has not been loaded, ` +
        'so working days cannot be computed (they are never guessed from weekends).',
    );
    this.name = 'UnknownCalendarYearError';
    this.messageZh = `缺少${year}年的工作日历（国务院办公厅节假日安排通知），无法计算工作日。`;
  }
}

/** Thrown by `parseYearCalendar` / `loadCalendarDirectory` when calendar data breaks a rule. */
export class InvalidCalendarError extends Error {
  readonly code = 'WORKDAYS_CALENDAR_INVALID';

  /**
   * @param field path of the offending field, e.g. `holidays[2].to` (`$` for the document itself)
   * @param problem what is wrong with it
   * @param context where the document came from (a file name), if known
   */
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly context?: string,
  ) {
    super(`Invalid working-day calendar${context ? ` ${context}` : ''}: ${field}: ${problem}`);
    this.name = 'InvalidCalendarError';
  }
}
