import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDayNumber, parseCalendarDate, tryParseCalendarDate, weekdayOfDayNumber, yearOfDayNumber } from './calendar-date';

const DAY_MS = 86_400_000;

describe('calendar-date arithmetic (internal)', () => {
  it('matches JS Date for every day 1600-2400 (parse, format, year, weekday)', () => {
    const start = Date.UTC(1600, 0, 1);
    const end = Date.UTC(2400, 11, 31);
    for (let ms = start; ms <= end; ms += DAY_MS) {
      const date = new Date(ms);
      const text = date.toISOString().slice(0, 10);
      const dayNumber = ms / DAY_MS;
      assert.equal(parseCalendarDate(text), dayNumber, text);
      assert.equal(formatDayNumber(dayNumber), text);
      assert.equal(yearOfDayNumber(dayNumber), date.getUTCFullYear());
      assert.equal(weekdayOfDayNumber(dayNumber), date.getUTCDay());
    }
  });

  it('rejects anything that is not a real YYYY-MM-DD date', () => {
    for (const text of ['2026-02-29', '2100-02-29', '2026-04-31', '2026-00-10', '2026-01-00', '2026-1-01', '26-01-01', '2026-01-01 ', ' 2026-01-01', '2026_01_01', '+002026-01-01', '2026-0a-01']) {
      assert.equal(tryParseCalendarDate(text), undefined, text);
    }
    for (const value of [null, undefined, 20260101, new Date()]) assert.equal(tryParseCalendarDate(value), undefined);
    assert.notEqual(tryParseCalendarDate('2024-02-29'), undefined);
    assert.notEqual(tryParseCalendarDate('2000-02-29'), undefined);
  });
});
