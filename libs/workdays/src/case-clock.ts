import { dueAtOrProvisional } from './provisional';
import type { WorkCalendar } from './work-calendar';

/** A change of a case's clock: from `at` on, the clock runs (the association has the case) or is paused (the applicant has it). */
export interface ClockChange {
  at: Date;
  paused: boolean;
}

export interface CaseClock {
  /** Working days the clock has run so far. */
  usedWorkingDays: number;
  remainingWorkingDays: number;
  paused: boolean;
  /** Completion deadline while the clock runs; null while it is paused (it moves when the case comes back). */
  dueAt: Date | null;
  /** True when the deadline reaches a year without an official calendar: counted on weekdays, recomputed once the year is loaded. */
  provisional: boolean;
}

/**
 * The completion deadline of a case (service catalogue, in working days) when the applicant's
 * rectification time does not count: the working days of every running stretch are used up, and
 * the rest is counted from the moment the clock last started again.
 */
export function caseClock(calendar: WorkCalendar, deadlineWorkingDays: number, changes: readonly ClockChange[], now: Date = new Date()): CaseClock {
  const timeline = [...changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  if (timeline.length === 0) throw new RangeError('a case clock needs at least its start');
  let used = 0;
  for (let i = 0; i < timeline.length; i++) {
    const change = timeline[i]!;
    if (change.paused) continue;
    const end = i + 1 < timeline.length ? timeline[i + 1]!.at : null;
    if (end) used += calendar.workingDaysElapsed(change.at, end);
  }
  const last = timeline[timeline.length - 1]!;
  const remaining = Math.max(0, deadlineWorkingDays - used);
  if (last.paused) return { usedWorkingDays: used, remainingWorkingDays: remaining, paused: true, dueAt: null, provisional: false };
  const running = calendar.workingDaysElapsed(last.at, now < last.at ? last.at : now);
  // A long deadline (appeals: 90 working days) often reaches next year before its calendar is published.
  const due = dueAtOrProvisional(calendar, last.at, remaining);
  return {
    usedWorkingDays: used + running,
    remainingWorkingDays: Math.max(0, remaining - running),
    paused: false,
    dueAt: due.dueAt,
    provisional: due.provisional,
  };
}
