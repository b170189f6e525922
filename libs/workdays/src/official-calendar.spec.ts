import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownCalendarYearError, WorkCalendar } from './index';

// ---------------------------------------------------------------------------------------------
// The official tables, written out by hand from the State Council notices (国务院办公厅关于
// 20xx年部分节假日安排的通知). Deliberately NOT read from src/data/*.json: these tests check the
// data files (and the library) against an independent transcription. The weekday written next
// to each make-up day is the one printed in the notice and is itself checked against JS Date.
// ---------------------------------------------------------------------------------------------

type Weekday = 'Sat' | 'Sun';
interface Notice {
  holidays: [name: string, from: string, to: string][];
  makeUp: [date: string, weekday: Weekday][];
}

const NOTICES: Record<2024 | 2025 | 2026, Notice> = {
  2024: {
    holidays: [
      ['元旦', '2024-01-01', '2024-01-01'],
      ['春节', '2024-02-10', '2024-02-17'],
      ['清明节', '2024-04-04', '2024-04-06'],
      ['劳动节', '2024-05-01', '2024-05-05'],
      ['端午节', '2024-06-10', '2024-06-10'],
      ['中秋节', '2024-09-15', '2024-09-17'],
      ['国庆节', '2024-10-01', '2024-10-07'],
    ],
    makeUp: [
      ['2024-02-04', 'Sun'],
      ['2024-02-18', 'Sun'],
      ['2024-04-07', 'Sun'],
      ['2024-04-28', 'Sun'],
      ['2024-05-11', 'Sat'],
      ['2024-09-14', 'Sat'],
      ['2024-09-29', 'Sun'],
      ['2024-10-12', 'Sat'],
    ],
  },
  2025: {
    holidays: [
      ['元旦', '2025-01-01', '2025-01-01'],
      ['春节', '2025-01-28', '2025-02-04'],
      ['清明节', '2025-04-04', '2025-04-06'],
      ['劳动节', '2025-05-01', '2025-05-05'],
      ['端午节', '2025-05-31', '2025-06-02'],
      ['国庆节、中秋节', '2025-10-01', '2025-10-08'],
    ],
    makeUp: [
      ['2025-01-26', 'Sun'],
      ['2025-02-08', 'Sat'],
      ['2025-04-27', 'Sun'],
      ['2025-09-28', 'Sun'],
      ['2025-10-11', 'Sat'],
    ],
  },
  2026: {
    holidays: [
      ['元旦', '2026-01-01', '2026-01-03'],
      ['春节', '2026-02-15', '2026-02-23'],
      ['清明节', '2026-04-04', '2026-04-06'],
      ['劳动节', '2026-05-01', '2026-05-05'],
      ['端午节', '2026-06-19', '2026-06-21'],
      ['中秋节', '2026-09-25', '2026-09-27'],
      ['国庆节', '2026-10-01', '2026-10-07'],
    ],
    makeUp: [
      ['2026-01-04', 'Sun'],
      ['2026-02-14', 'Sat'],
      ['2026-02-28', 'Sat'],
      ['2026-05-09', 'Sat'],
      ['2026-09-20', 'Sun'],
      ['2026-10-10', 'Sat'],
    ],
  },
};

const YEARS = [2024, 2025, 2026] as const;

// --- An independent oracle built on JS Date (the library uses its own integer arithmetic). ---

const DAY_MS = 86_400_000;
const msOf = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const nextDate = (date: string): string => dateOf(msOf(date) + DAY_MS);

function datesFromTo(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = msOf(from); ms <= msOf(to); ms += DAY_MS) out.push(dateOf(ms));
  return out;
}

const ORACLE_HOLIDAYS = new Map<string, string>();
const ORACLE_MAKE_UP = new Set<string>();
for (const year of YEARS) {
  for (const [name, from, to] of NOTICES[year].holidays) for (const d of datesFromTo(from, to)) ORACLE_HOLIDAYS.set(d, name);
  for (const [date] of NOTICES[year].makeUp) ORACLE_MAKE_UP.add(date);
}

function oracleIsWorkingDay(date: string): boolean {
  const year = Number(date.slice(0, 4));
  if (year < 2024 || year > 2026) throw new Error(`oracle has no data for ${date}`);
  if (ORACLE_MAKE_UP.has(date)) return true;
  if (ORACLE_HOLIDAYS.has(date)) return false;
  const weekday = new Date(msOf(date)).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

function oracleAddWorkingDays(start: string, n: number): string {
  let date = start;
  if (n === 0) {
    while (!oracleIsWorkingDay(date)) date = nextDate(date);
    return date;
  }
  for (let found = 0; found < n; ) {
    date = nextDate(date);
    if (oracleIsWorkingDay(date)) found += 1;
  }
  return date;
}

function oracleWorkingDaysBetween(from: string, to: string): number {
  if (from > to) return -oracleWorkingDaysBetween(to, from);
  let count = 0;
  for (let ms = msOf(from) + DAY_MS; ms <= msOf(to); ms += DAY_MS) if (oracleIsWorkingDay(dateOf(ms))) count += 1;
  return count;
}

/** Small deterministic PRNG (xorshift32) so a failure is reproducible. */
function randomSource(seed: number): (maxExclusive: number) => number {
  let state = seed >>> 0 || 1;
  return (maxExclusive) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % maxExclusive;
  };
}

const calendar = WorkCalendar.builtIn();

describe('official tables 2024-2026 (State Council notices)', () => {
  for (const year of YEARS) {
    describe(String(year), () => {
      it('every make-up working day is the weekday printed in the notice and is a working day', () => {
        for (const [date, weekday] of NOTICES[year].makeUp) {
          assert.equal(new Date(msOf(date)).getUTCDay(), weekday === 'Sun' ? 0 : 6, `${date} should be a ${weekday}`);
          assert.equal(calendar.isWorkingDay(date), true, `${date} (调休上班) should be a working day`);
          assert.equal(calendar.holidayName(date), null, `${date} is a working day, not a holiday`);
        }
      });

      it('every day of every holiday period is a day off with the holiday name', () => {
        for (const [name, from, to] of NOTICES[year].holidays) {
          for (const date of datesFromTo(from, to)) {
            assert.equal(calendar.isWorkingDay(date), false, `${date} (${name}) should be a day off`);
            assert.equal(calendar.holidayName(date), name, `${date} should belong to ${name}`);
          }
        }
      });

      it('the days just outside each holiday period are not part of it', () => {
        for (const [name, from, to] of NOTICES[year].holidays) {
          const before = dateOf(msOf(from) - DAY_MS);
          const after = nextDate(to);
          for (const date of [before, after]) {
            if (Number(date.slice(0, 4)) !== year) continue;
            assert.notEqual(calendar.holidayName(date), name, `${date} is outside ${name}`);
          }
        }
      });

      it('agrees with the independent table on every single day of the year', () => {
        for (const date of datesFromTo(`${year}-01-01`, `${year}-12-31`)) {
          assert.equal(calendar.isWorkingDay(date), oracleIsWorkingDay(date), date);
        }
      });

      it('has exactly the make-up days of the notice in its data', () => {
        const data = calendar.yearCalendar(year);
        assert.ok(data);
        assert.deepEqual(
          data.workdays.map((w) => w.date),
          NOTICES[year].makeUp.map(([date]) => date),
        );
        assert.deepEqual(
          data.holidays.map((h) => [h.name, h.from, h.to]),
          NOTICES[year].holidays,
        );
      });
    });
  }

  it('working days per year: counted from the independent table, the library agrees', () => {
    // Hand count (weekdays - holidays on weekdays + make-up days):
    // 2024: 262 - 19 + 8 = 251; 2025: 261 - 18 + 5 = 248; 2026: 261 - 19 + 6 = 248.
    const expected = { 2024: 251, 2025: 248, 2026: 248 };
    for (const year of YEARS) {
      const dates = datesFromTo(`${year}-01-01`, `${year}-12-31`);
      const fromOracle = dates.filter(oracleIsWorkingDay).length;
      const fromLibrary = dates.filter((d) => calendar.isWorkingDay(d)).length;
      const viaBetween = calendar.workingDaysBetween(`${year}-01-01`, `${year}-12-31`) + (calendar.isWorkingDay(`${year}-01-01`) ? 1 : 0);
      assert.equal(fromOracle, expected[year], `oracle count for ${year}`);
      assert.equal(fromLibrary, fromOracle, `isWorkingDay count for ${year}`);
      assert.equal(viaBetween, fromOracle, `workingDaysBetween count for ${year}`);
    }
  });

  it('make-up days and holiday days per year match the notices', () => {
    assert.deepEqual(
      YEARS.map((y) => NOTICES[y].makeUp.length),
      [8, 5, 6],
    );
    assert.deepEqual(
      YEARS.map((y) => calendar.yearCalendar(y)?.workdays.length),
      [8, 5, 6],
    );
    // Days off per notice: 2024 1+8+3+5+1+3+7, 2025 1+8+3+5+3+8, 2026 3+9+3+5+3+3+7.
    const holidayDays = (y: 2024 | 2025 | 2026) =>
      datesFromTo(`${y}-01-01`, `${y}-12-31`).filter((d) => calendar.holidayName(d) !== null).length;
    assert.deepEqual(YEARS.map(holidayDays), [28, 28, 33]);
  });
});

describe('addWorkingDays', () => {
  const cases: [start: string, n: number, expected: string, why: string][] = [
    ['2026-09-30', 1, '2026-10-08', 'over National Day 2026'],
    ['2026-02-13', 1, '2026-02-14', 'Friday before Spring Festival 2026 -> Saturday make-up day'],
    ['2026-02-14', 1, '2026-02-24', 'Spring Festival 2026 (Feb 15-23)'],
    ['2026-02-27', 1, '2026-02-28', 'Saturday make-up day after Spring Festival 2026'],
    ['2026-02-28', 1, '2026-03-02', 'after the make-up Saturday comes Sunday (off), then Monday'],
    ['2024-12-31', 1, '2025-01-02', 'across the year boundary over 元旦 2025'],
    ['2025-01-24', 1, '2025-01-26', 'Friday -> Sunday make-up day before Spring Festival 2025'],
    ['2025-01-27', 1, '2025-02-05', 'over Spring Festival 2025 (Jan 28 - Feb 4)'],
    ['2025-09-30', 1, '2025-10-09', 'over National Day + Mid-Autumn 2025 (Oct 1-8)'],
    ['2025-09-30', 3, '2025-10-11', 'the Saturday make-up day counts'],
    ['2024-02-08', 2, '2024-02-18', 'over Spring Festival 2024, Feb 18 is a Sunday make-up day'],
    ['2024-09-27', 1, '2024-09-29', 'Friday -> Sunday make-up day before National Day 2024'],
    ['2024-09-30', 1, '2024-10-08', 'over National Day 2024'],
    ['2025-12-31', 1, '2026-01-04', '元旦 2026 (Jan 1-3), then the Sunday make-up day Jan 4'],
  ];

  for (const [start, n, expected, why] of cases) {
    it(`${start} + ${n} = ${expected} (${why})`, () => {
      assert.equal(calendar.addWorkingDays(start, n), expected);
    });
  }

  it('the start day never counts, working day or not', () => {
    assert.equal(calendar.addWorkingDays('2026-09-29', 1), '2026-09-30');
    assert.equal(calendar.addWorkingDays('2026-10-03', 1), '2026-10-08');
    assert.equal(calendar.addWorkingDays('2026-10-10', 1), '2026-10-12', 'a make-up Saturday as start does not count');
  });

  it('n = 0 returns the start if it is a working day, else the next working day', () => {
    assert.equal(calendar.addWorkingDays('2026-09-30', 0), '2026-09-30');
    assert.equal(calendar.addWorkingDays('2026-10-01', 0), '2026-10-08');
    assert.equal(calendar.addWorkingDays('2026-02-14', 0), '2026-02-14', 'make-up Saturday');
    assert.equal(calendar.addWorkingDays('2026-03-07', 0), '2026-03-09', 'ordinary Saturday');
  });

  it('spans whole years: the n-th working day counted from 2024-01-01 (a holiday)', () => {
    assert.equal(calendar.addWorkingDays('2024-01-01', 1), '2024-01-02');
    assert.equal(calendar.addWorkingDays('2024-01-01', 251), '2024-12-31');
    assert.equal(calendar.addWorkingDays('2024-01-01', 252), '2025-01-02');
    assert.equal(calendar.addWorkingDays('2024-01-01', 251 + 248), '2025-12-31');
    assert.equal(calendar.addWorkingDays('2024-01-01', 251 + 248 + 248), '2026-12-31');
  });

  it('rejects a negative or non-integer n with a RangeError', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5]) {
      assert.throws(() => calendar.addWorkingDays('2026-03-02', n), RangeError, String(n));
    }
  });

  it('rejects malformed dates with a RangeError', () => {
    for (const date of ['2026-02-29', '2026-2-1', '2026/02/01', '2026-02-01T00:00', '', '２０２６-02-01']) {
      assert.throws(() => calendar.addWorkingDays(date, 1), RangeError, date);
      assert.throws(() => calendar.isWorkingDay(date), RangeError, date);
    }
  });

  it('matches a day-by-day count from the independent table for random starts', () => {
    const random = randomSource(20260101);
    const first = msOf('2024-01-01');
    const span = (msOf('2026-11-30') - first) / DAY_MS;
    for (let i = 0; i < 2000; i += 1) {
      const start = dateOf(first + random(span + 1) * DAY_MS);
      const n = random(21);
      assert.equal(calendar.addWorkingDays(start, n), oracleAddWorkingDays(start, n), `${start} + ${n}`);
    }
  });
});

describe('workingDaysBetween', () => {
  it('counts working days d with from < d <= to', () => {
    assert.equal(calendar.workingDaysBetween('2026-09-30', '2026-10-08'), 1);
    assert.equal(calendar.workingDaysBetween('2026-09-29', '2026-10-08'), 2);
    assert.equal(calendar.workingDaysBetween('2026-10-01', '2026-10-07'), 0);
    assert.equal(calendar.workingDaysBetween('2026-10-08', '2026-10-08'), 0);
    assert.equal(calendar.workingDaysBetween('2026-02-13', '2026-02-24'), 2, 'Feb 14 (make-up) and Feb 24');
  });

  it('is mirrored (negative) when to < from, and never -0', () => {
    assert.equal(calendar.workingDaysBetween('2026-10-08', '2026-09-30'), -1);
    assert.equal(calendar.workingDaysBetween('2026-02-24', '2026-02-13'), -2);
    assert.ok(Object.is(calendar.workingDaysBetween('2026-10-07', '2026-10-01'), 0));
  });

  it('is the inverse of addWorkingDays (random starts 2024-2026, small n)', () => {
    const random = randomSource(7);
    const first = msOf('2024-01-01');
    // Up to 30 working days after the last possible start still ends in 2026.
    const span = (msOf('2026-10-31') - first) / DAY_MS;
    for (let i = 0; i < 3000; i += 1) {
      const start = dateOf(first + random(span + 1) * DAY_MS);
      const n = 1 + random(30);
      const end = calendar.addWorkingDays(start, n);
      assert.equal(calendar.isWorkingDay(end), true, `${start} + ${n} = ${end} must be a working day`);
      assert.equal(calendar.workingDaysBetween(start, end), n, `between(${start}, ${end})`);
      assert.equal(calendar.workingDaysBetween(end, start), -n, `between(${end}, ${start})`);
      // The working day before `end` is still short of n.
      assert.equal(calendar.workingDaysBetween(start, dateOf(msOf(end) - DAY_MS)), n - 1);
    }
  });

  it('matches the independent table for random pairs (both orders)', () => {
    const random = randomSource(99);
    const first = msOf('2024-01-01');
    const span = (msOf('2026-12-31') - first) / DAY_MS;
    for (let i = 0; i < 300; i += 1) {
      const a = dateOf(first + random(span + 1) * DAY_MS);
      const b = dateOf(first + random(span + 1) * DAY_MS);
      assert.equal(calendar.workingDaysBetween(a, b), oracleWorkingDaysBetween(a, b), `${a} .. ${b}`);
    }
  });
});

describe('years without data', () => {
  function assertUnknownYear(fn: () => unknown, year: number): void {
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof UnknownCalendarYearError, `expected UnknownCalendarYearError, got ${String(error)}`);
      assert.equal(error.year, year);
      assert.equal(error.code, 'WORKDAYS_YEAR_UNKNOWN');
      assert.match(error.message, new RegExp(`${year}`));
      assert.match(error.messageZh, new RegExp(`${year}年`));
      return true;
    });
  }

  it('2023 and 2027 are unknown: no guessing from weekends', () => {
    assertUnknownYear(() => calendar.isWorkingDay('2023-12-29'), 2023);
    assertUnknownYear(() => calendar.isWorkingDay('2027-01-04'), 2027);
    assertUnknownYear(() => calendar.holidayName('2027-01-01'), 2027);
    assertUnknownYear(() => calendar.addWorkingDays('2023-12-29', 1), 2023);
    assertUnknownYear(() => calendar.workingDaysBetween('2023-12-29', '2024-01-05'), 2023);
    assertUnknownYear(() => calendar.workingDaysBetween('2026-12-01', '2027-01-05'), 2027);
  });

  it('a query from late December 2026 whose result would fall in 2027 throws for 2027', () => {
    assert.equal(calendar.addWorkingDays('2026-12-30', 1), '2026-12-31');
    assertUnknownYear(() => calendar.addWorkingDays('2026-12-30', 2), 2027);
    assertUnknownYear(() => calendar.addWorkingDays('2026-12-31', 1), 2027);
    assertUnknownYear(() => calendar.addWorkingDays('2024-01-01', 251 + 248 + 248 + 1), 2027);
  });

  it('a missing year between two loaded years is unknown too', () => {
    const gappy = new WorkCalendar([calendar.yearCalendar(2024)!, calendar.yearCalendar(2026)!]);
    assert.deepEqual(gappy.years(), [2024, 2026]);
    assert.equal(gappy.isWorkingDay('2026-02-14'), true);
    assert.equal(gappy.addWorkingDays('2026-02-13', 1), '2026-02-14');
    assertUnknownYear(() => gappy.isWorkingDay('2025-03-03'), 2025);
    assertUnknownYear(() => gappy.addWorkingDays('2024-12-31', 1), 2025);
    assertUnknownYear(() => gappy.addWorkingDays('2024-12-31', 400), 2025);
    assertUnknownYear(() => gappy.workingDaysBetween('2024-06-03', '2026-06-01'), 2025);
    assertUnknownYear(() => gappy.workingDaysBetween('2026-06-01', '2024-06-03'), 2025);
  });

  it('an empty calendar knows no year', () => {
    const empty = new WorkCalendar([]);
    assert.deepEqual(empty.years(), []);
    assertUnknownYear(() => empty.isWorkingDay('2026-03-02'), 2026);
    assertUnknownYear(() => empty.addWorkingDays('2026-03-02', 0), 2026);
  });
});
