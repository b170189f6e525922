import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caseClock } from './case-clock';
import { WorkCalendar } from './work-calendar';

const calendar = WorkCalendar.builtIn();
const at = (iso: string) => new Date(iso);

describe('caseClock', () => {
  it('counts the deadline from submission while the clock runs (15 working days across National Day 2026)', () => {
    // Submitted Mon 2026-09-21 10:00 China time; 15 working days, Sep 20 and Oct 10 are make-up days, Oct 1-7 off.
    const clock = caseClock(calendar, 15, [{ at: at('2026-09-21T02:00:00Z'), paused: false }], at('2026-09-21T03:00:00Z'));
    // Working days after Sep 21: 22,23,24,(25-27 off),28,29,30 = 6; Oct 8,9,10(make-up),12,13,14,15,16,19 = 9 → Oct 19.
    assert.equal(clock.dueAt?.toISOString(), '2026-10-19T15:59:59.999Z');
    assert.equal(clock.paused, false);
    assert.equal(clock.remainingWorkingDays, 15);
  });

  it('does not count the applicant\'s rectification time', () => {
    const changes = [
      { at: at('2026-11-02T02:00:00Z'), paused: false }, // Mon, submitted
      { at: at('2026-11-04T02:00:00Z'), paused: true }, // Wed, returned: 2 working days used (Tue, Wed)
      { at: at('2026-11-16T02:00:00Z'), paused: false }, // Mon, resubmitted
    ];
    const clock = caseClock(calendar, 5, changes, at('2026-11-16T03:00:00Z'));
    assert.equal(clock.usedWorkingDays, 2);
    assert.equal(clock.remainingWorkingDays, 3);
    // 3 working days after Mon Nov 16 → Thu Nov 19.
    assert.equal(clock.dueAt?.toISOString(), '2026-11-19T15:59:59.999Z');
  });

  it('has no due date while paused, and keeps what was used', () => {
    const clock = caseClock(calendar, 4, [
      { at: at('2026-11-02T02:00:00Z'), paused: false },
      { at: at('2026-11-05T02:00:00Z'), paused: true },
    ]);
    assert.equal(clock.paused, true);
    assert.equal(clock.dueAt, null);
    assert.equal(clock.usedWorkingDays, 3);
    assert.equal(clock.remainingWorkingDays, 1);
  });

  it('accepts changes in any order and refuses an empty timeline', () => {
    const a = caseClock(calendar, 5, [
      { at: at('2026-11-16T02:00:00Z'), paused: false },
      { at: at('2026-11-02T02:00:00Z'), paused: false },
      { at: at('2026-11-04T02:00:00Z'), paused: true },
    ], at('2026-11-16T03:00:00Z'));
    assert.equal(a.dueAt?.toISOString(), '2026-11-19T15:59:59.999Z');
    assert.throws(() => caseClock(calendar, 5, []), RangeError);
  });

  it('a deadline reaching a year without an official calendar is counted on weekdays and flagged provisional', () => {
    const last = calendar.years().at(-1)!;
    const clock = caseClock(calendar, 90, [{ at: at(`${last}-11-02T02:00:00Z`), paused: false }], at(`${last}-11-02T03:00:00Z`));
    assert.equal(clock.provisional, true);
    assert.ok(clock.dueAt !== null && clock.dueAt.getUTCFullYear() === last + 1);
    const known = caseClock(calendar, 5, [{ at: at(`${last}-11-02T02:00:00Z`), paused: false }], at(`${last}-11-02T03:00:00Z`));
    assert.equal(known.provisional, false);
  });
});
