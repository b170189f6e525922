import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownCalendarYearError, WorkCalendar, chinaDateOf, endOfChinaDay } from './index';

const calendar = WorkCalendar.builtIn();
const DAY_MS = 86_400_000;

describe('China time (UTC+8)', () => {
  it('chinaDateOf: 2026-01-04T16:00:00Z is already 2026-01-05 in China', () => {
    assert.equal(chinaDateOf(new Date('2026-01-04T16:00:00Z')), '2026-01-05');
    assert.equal(chinaDateOf(new Date('2026-01-04T15:59:59.999Z')), '2026-01-04');
    assert.equal(chinaDateOf(new Date('2026-01-05T00:00:00+08:00')), '2026-01-05');
    assert.equal(chinaDateOf(new Date('2025-12-31T16:00:00Z')), '2026-01-01');
  });

  it('chinaDateOf handles instants before 1970', () => {
    assert.equal(chinaDateOf(new Date('1969-12-31T16:00:00Z')), '1970-01-01');
    assert.equal(chinaDateOf(new Date('1969-12-31T15:59:59.999Z')), '1969-12-31');
  });

  it('endOfChinaDay is 23:59:59.999 +08:00', () => {
    assert.equal(endOfChinaDay('2026-10-08').toISOString(), '2026-10-08T15:59:59.999Z');
    assert.equal(endOfChinaDay('2024-02-29').toISOString(), '2024-02-29T15:59:59.999Z');
    assert.equal(endOfChinaDay('2026-12-31').toISOString(), '2026-12-31T15:59:59.999Z');
  });

  it('agrees with a Date-based computation for every day 1950-2250', () => {
    // Independent reference: shift by 8 hours and let Date do the calendar.
    const start = Date.UTC(1950, 0, 1);
    const end = Date.UTC(2250, 11, 31);
    for (let ms = start; ms <= end; ms += DAY_MS) {
      const date = new Date(ms).toISOString().slice(0, 10);
      const last = endOfChinaDay(date);
      assert.equal(last.getTime(), ms + DAY_MS - 8 * 3_600_000 - 1, date);
      assert.equal(chinaDateOf(last), date);
      assert.equal(chinaDateOf(new Date(last.getTime() + 1)), new Date(ms + DAY_MS).toISOString().slice(0, 10));
    }
  });

  it('rejects invalid input', () => {
    assert.throws(() => chinaDateOf(new Date(Number.NaN)), RangeError);
    assert.throws(() => endOfChinaDay('2026-02-29'), RangeError);
    assert.throws(() => endOfChinaDay('2026-10-08T00:00:00Z'), RangeError);
  });
});

describe('deadline helpers', () => {
  it('dueAtAfterWorkingDays: end of the China day n working days after the China date of the instant', () => {
    // 2026-09-30 10:00 China → 1 working day → 2026-10-08 (National Day in between).
    assert.equal(calendar.dueAtAfterWorkingDays(new Date('2026-09-30T02:00:00Z'), 1).toISOString(), '2026-10-08T15:59:59.999Z');
    // Friday 2026-02-13 23:30 China → the make-up Saturday 2026-02-14.
    assert.equal(calendar.dueAtAfterWorkingDays(new Date('2026-02-13T15:30:00Z'), 1).toISOString(), '2026-02-14T15:59:59.999Z');
    // Half an hour later it is already Saturday 2026-02-14 in China → after Spring Festival.
    assert.equal(calendar.dueAtAfterWorkingDays(new Date('2026-02-13T16:00:00Z'), 1).toISOString(), '2026-02-24T15:59:59.999Z');
    // n = 0 on a holiday → end of the next working day.
    assert.equal(calendar.dueAtAfterWorkingDays(new Date('2026-10-03T04:00:00Z'), 0).toISOString(), '2026-10-08T15:59:59.999Z');
    // 15 working days from Mon 2026-09-21: Sep 22-24 (3; 中秋 Sep 25-27), Sep 28-30 (6),
    // Oct 8-9 (8), Sat Oct 10 make-up (9), Oct 12-16 (14), Mon Oct 19 (15).
    assert.equal(calendar.dueAtAfterWorkingDays(new Date('2026-09-21T01:00:00Z'), 15).toISOString(), '2026-10-19T15:59:59.999Z');
  });

  it('dueAtAfterWorkingDays rejects bad n and unknown years', () => {
    assert.throws(() => calendar.dueAtAfterWorkingDays(new Date('2026-03-02T00:00:00Z'), -1), RangeError);
    assert.throws(() => calendar.dueAtAfterWorkingDays(new Date('2026-03-02T00:00:00Z'), 0.5), RangeError);
    assert.throws(
      () => calendar.dueAtAfterWorkingDays(new Date('2026-12-30T16:30:00Z'), 1),
      (error: unknown) => error instanceof UnknownCalendarYearError && error.year === 2027,
      '2026-12-31 China time + 1 falls in 2027',
    );
  });

  it('workingDaysElapsed counts on China dates', () => {
    assert.equal(calendar.workingDaysElapsed(new Date('2026-09-30T01:00:00Z'), new Date('2026-10-08T09:00:00Z')), 1);
    // 2026-09-30T16:30Z is already 2026-10-01 in China: nothing elapsed by 2026-10-07 China.
    assert.equal(calendar.workingDaysElapsed(new Date('2026-09-30T16:30:00Z'), new Date('2026-10-07T15:00:00Z')), 0);
    // Same UTC day, different China days: Friday 2026-03-06 → Monday 2026-03-09 China.
    assert.equal(calendar.workingDaysElapsed(new Date('2026-03-06T10:00:00Z'), new Date('2026-03-08T17:00:00Z')), 1);
    assert.equal(calendar.workingDaysElapsed(new Date('2026-10-08T09:00:00Z'), new Date('2026-09-30T01:00:00Z')), -1);
  });

  it('a deadline round-trips: elapsed from the start to the due instant is n', () => {
    const from = new Date('2025-01-20T03:00:00Z');
    for (let n = 1; n <= 40; n += 1) {
      assert.equal(calendar.workingDaysElapsed(from, calendar.dueAtAfterWorkingDays(from, n)), n, `n = ${n}`);
    }
  });
});
