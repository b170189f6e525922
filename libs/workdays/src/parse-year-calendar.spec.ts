import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidCalendarError, WorkCalendar, parseYearCalendar, type YearCalendar } from './index';

/** A small valid calendar (hypothetical data, not an official notice). */
function valid(): Record<string, unknown> & YearCalendar {
  return {
    year: 2026,
    source: 'test fixture',
    holidays: [
      { name: '元旦', nameEn: "New Year's Day", from: '2026-01-01', to: '2026-01-03' },
      { name: '国庆节', from: '2026-10-01', to: '2026-10-07' },
    ],
    workdays: [{ date: '2026-01-04', for: '元旦' }, { date: '2026-10-10' }],
  };
}

function rejects(mutate: (doc: Record<string, unknown> & YearCalendar) => unknown, field: string, problem: RegExp): void {
  const doc = valid();
  const input = mutate(doc) ?? doc;
  assert.throws(
    () => parseYearCalendar(input),
    (error: unknown) => {
      assert.ok(error instanceof InvalidCalendarError, `expected InvalidCalendarError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.equal(error.code, 'WORKDAYS_CALENDAR_INVALID');
      assert.match(error.message, problem);
      assert.ok(error.message.includes(field), `message names the field: ${error.message}`);
      return true;
    },
  );
}

describe('parseYearCalendar', () => {
  it('accepts a valid calendar and returns an equal copy', () => {
    const doc = valid();
    const parsed = parseYearCalendar(doc);
    assert.deepEqual(parsed, doc);
    assert.notEqual(parsed, doc);
    assert.notEqual(parsed.holidays[0], doc.holidays[0]);
  });

  it('accepts the optional fields being absent and empty lists', () => {
    assert.deepEqual(parseYearCalendar({ year: 2030, holidays: [], workdays: [] }), { year: 2030, holidays: [], workdays: [] });
    assert.deepEqual(parseYearCalendar({ year: 2030, holidays: [{ name: 'x', from: '2030-05-01', to: '2030-05-01' }], workdays: [] }).holidays, [
      { name: 'x', from: '2030-05-01', to: '2030-05-01' },
    ]);
  });

  it('accepts the year bounds 1990 and 2200', () => {
    assert.equal(parseYearCalendar({ year: 1990, holidays: [], workdays: [] }).year, 1990);
    assert.equal(parseYearCalendar({ year: 2200, holidays: [], workdays: [] }).year, 2200);
  });

  it('rejects a document that is not an object', () => {
    for (const input of [null, [], '2026', 2026, undefined]) {
      assert.throws(() => parseYearCalendar(input), InvalidCalendarError, String(input));
    }
  });

  it('rejects unknown fields at every level', () => {
    rejects((d) => void (d.holiday = []), 'holiday', /unknown field/);
    rejects((d) => void ((d.holidays[1] as unknown as Record<string, unknown>).days = 7), 'holidays[1].days', /unknown field/);
    rejects((d) => void ((d.workdays[0] as unknown as Record<string, unknown>).reason = 'x'), 'workdays[0].reason', /unknown field/);
  });

  it('rejects a missing, non-integer or out-of-range year', () => {
    rejects((d) => void delete (d as Partial<YearCalendar>).year, 'year', /integer/);
    rejects((d) => void ((d as Record<string, unknown>).year = '2026'), 'year', /integer/);
    rejects((d) => void (d.year = 2026.5), 'year', /integer/);
    rejects((d) => ({ ...d, year: 1989, holidays: [], workdays: [] }), 'year', /1990/);
    rejects((d) => ({ ...d, year: 2201, holidays: [], workdays: [] }), 'year', /2200/);
  });

  it('rejects a non-string source', () => {
    rejects((d) => void ((d as Record<string, unknown>).source = 7), 'source', /string/);
  });

  it('rejects holidays / workdays that are not arrays of objects', () => {
    rejects((d) => void delete (d as Partial<YearCalendar>).holidays, 'holidays', /array/);
    rejects((d) => void ((d as Record<string, unknown>).workdays = { date: '2026-01-04' }), 'workdays', /array/);
    rejects((d) => void ((d.holidays as unknown[])[0] = '元旦'), 'holidays[0]', /object/);
  });

  it('rejects a holiday without a name or with a non-string English name', () => {
    rejects((d) => void (d.holidays[0].name = ''), 'holidays[0].name', /non-empty string/);
    rejects((d) => void delete (d.holidays[1] as Partial<YearCalendar['holidays'][number]>).name, 'holidays[1].name', /non-empty string/);
    rejects((d) => void ((d.holidays[0] as unknown as Record<string, unknown>).nameEn = 1), 'holidays[0].nameEn', /string/);
  });

  it('rejects invalid dates', () => {
    rejects((d) => void (d.holidays[0].from = '2026-02-30'), 'holidays[0].from', /real date/);
    rejects((d) => void (d.holidays[0].to = '2026/01/03'), 'holidays[0].to', /real date/);
    rejects((d) => void (d.holidays[1].from = '2026-10-1'), 'holidays[1].from', /real date/);
    rejects((d) => void ((d.workdays[0] as unknown as Record<string, unknown>).date = 20260104), 'workdays[0].date', /real date/);
    rejects((d) => void (d.workdays[1].date = '2026-13-10'), 'workdays[1].date', /real date/);
  });

  it('rejects dates outside the calendar year (holiday ends and make-up days included)', () => {
    rejects((d) => void (d.holidays[0].from = '2025-12-31'), 'holidays[0].from', /not in 2026/);
    rejects((d) => void (d.holidays[1].to = '2027-01-01'), 'holidays[1].to', /not in 2026/);
    rejects((d) => void (d.workdays[1].date = '2027-01-02'), 'workdays[1].date', /not in 2026/);
  });

  it('rejects from after to', () => {
    rejects((d) => void (d.holidays[1].from = '2026-10-08'), 'holidays[1].to', /before from/);
  });

  it('rejects overlapping holiday periods', () => {
    rejects((d) => void d.holidays.push({ name: '中秋节', from: '2026-09-25', to: '2026-10-01' }), 'holidays[2]', /already part of holiday 国庆节/);
  });

  it('rejects a make-up working day on a weekday', () => {
    rejects((d) => void (d.workdays[0].date = '2026-01-05'), 'workdays[0].date', /not a Saturday or Sunday/);
  });

  it('rejects a make-up working day that is also a holiday date', () => {
    // 2026-01-03 is a Saturday inside the 元旦 period of the fixture.
    rejects((d) => void (d.workdays[0].date = '2026-01-03'), 'workdays[0].date', /also a day of holiday 元旦/);
  });

  it('rejects a make-up working day listed twice', () => {
    rejects((d) => void d.workdays.push({ date: '2026-01-04' }), 'workdays[2].date', /listed twice/);
  });

  it('rejects a non-string "for"', () => {
    rejects((d) => void ((d.workdays[0] as unknown as Record<string, unknown>).for = ['元旦']), 'workdays[0].for', /string/);
  });

  it('WorkCalendar validates what it is given and refuses a year twice', () => {
    const bad = { ...valid(), workdays: [{ date: '2026-01-05' }] };
    assert.throws(() => new WorkCalendar([bad]), InvalidCalendarError);
    assert.throws(() => new WorkCalendar([valid(), valid()]), /2026 is given twice/);
    assert.throws(() => WorkCalendar.builtIn().withYear(bad), InvalidCalendarError);
  });
});

describe('WorkCalendar years', () => {
  it('builtIn() has 2024-2026 and is one shared instance', () => {
    const calendar = WorkCalendar.builtIn();
    assert.deepEqual(calendar.years(), [2024, 2025, 2026]);
    assert.equal(calendar.hasYear(2025), true);
    assert.equal(calendar.hasYear(2023), false);
    assert.equal(calendar.hasYear(2027), false);
    assert.equal(WorkCalendar.builtIn(), calendar);
    calendar.years().push(1999);
    assert.deepEqual(calendar.years(), [2024, 2025, 2026], 'years() returns a copy');
  });

  it('withYear adds a year without changing the original', () => {
    const base = WorkCalendar.builtIn();
    const next = base.withYear({ year: 2030, holidays: [], workdays: [] });
    assert.deepEqual(next.years(), [2024, 2025, 2026, 2030]);
    assert.deepEqual(base.years(), [2024, 2025, 2026]);
    assert.equal(next.isWorkingDay('2030-01-01'), true, 'no holidays in that fixture');
  });

  it('withYear replaces an existing year', () => {
    const base = WorkCalendar.builtIn();
    const replaced = base.withYear(valid());
    assert.equal(base.isWorkingDay('2026-02-16'), false, 'Spring Festival in the official data');
    assert.equal(replaced.isWorkingDay('2026-02-16'), true, 'the fixture has no Spring Festival');
    assert.equal(replaced.isWorkingDay('2025-01-28'), false, 'other years are kept');
    assert.deepEqual(replaced.years(), [2024, 2025, 2026]);
  });
});
