import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidCalendarError, UnknownCalendarYearError, WorkCalendar, loadCalendarDirectory } from './index';

/** A hypothetical 2027 calendar (not the official one, which is not published yet). */
const CALENDAR_2027 = {
  year: 2027,
  source: 'test fixture',
  holidays: [
    { name: '元旦', nameEn: "New Year's Day", from: '2027-01-01', to: '2027-01-03' },
    { name: '春节', from: '2027-02-05', to: '2027-02-12' },
  ],
  workdays: [{ date: '2027-02-13', for: '春节' }],
};

describe('loadCalendarDirectory', () => {
  let root = '';
  let dirCount = 0;

  /** A fresh directory with the given files (name → content; objects are written as JSON). */
  function directory(files: Record<string, unknown>): string {
    dirCount += 1;
    const dir = join(root, `case-${dirCount}`);
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    }
    return dir;
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'workdays-load-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('loads a valid 2027 file, and withYear makes 2027 queries work', () => {
    const dir = directory({ '2027.json': CALENDAR_2027, 'README.md': '# not a calendar' });
    const loaded = loadCalendarDirectory(dir);
    assert.deepEqual(loaded, [CALENDAR_2027]);

    const builtIn = WorkCalendar.builtIn();
    assert.throws(() => builtIn.addWorkingDays('2026-12-31', 1), UnknownCalendarYearError);
    const calendar = builtIn.withYear(loaded[0]);
    assert.deepEqual(calendar.years(), [2024, 2025, 2026, 2027]);
    assert.equal(calendar.addWorkingDays('2026-12-31', 1), '2027-01-04');
    assert.equal(calendar.addWorkingDays('2027-02-04', 1), '2027-02-13', 'make-up Saturday of the fixture');
    assert.equal(calendar.addWorkingDays('2027-02-13', 1), '2027-02-15');
    assert.equal(calendar.holidayName('2027-02-08'), '春节');
    assert.equal(calendar.workingDaysBetween('2026-12-31', '2027-01-04'), 1);
  });

  it('returns every year of the directory sorted, for withYears', () => {
    const dir = directory({ '2028.json': { year: 2028, holidays: [], workdays: [] }, '2027.json': CALENDAR_2027 });
    const loaded = loadCalendarDirectory(dir);
    assert.deepEqual(
      loaded.map((c) => c.year),
      [2027, 2028],
    );
    assert.deepEqual(WorkCalendar.builtIn().withYears(loaded).years(), [2024, 2025, 2026, 2027, 2028]);
  });

  it('returns nothing for a directory without calendars', () => {
    assert.deepEqual(loadCalendarDirectory(directory({ 'notes.txt': 'x' })), []);
  });

  it('rejects a file whose name is not its year (2028.json containing 2027)', () => {
    const dir = directory({ '2028.json': CALENDAR_2027 });
    assert.throws(
      () => loadCalendarDirectory(dir),
      (error: unknown) =>
        error instanceof InvalidCalendarError && error.field === 'year' && /2028\.json/.test(error.message) && /2027/.test(error.message),
    );
  });

  it('rejects a .json file not named <year>.json', () => {
    const dir = directory({ 'calendar-2027.json': CALENDAR_2027 });
    assert.throws(() => loadCalendarDirectory(dir), (error: unknown) => error instanceof InvalidCalendarError && /<year>\.json/.test(error.message));
  });

  it('rejects a file that is not JSON', () => {
    const dir = directory({ '2027.json': '{ "year": 2027, ' });
    assert.throws(() => loadCalendarDirectory(dir), (error: unknown) => error instanceof InvalidCalendarError && /not valid JSON/.test(error.message));
  });

  it('rejects an invalid calendar and names the file and the field', () => {
    const dir = directory({ '2027.json': { ...CALENDAR_2027, workdays: [{ date: '2027-02-15' }] } });
    assert.throws(
      () => loadCalendarDirectory(dir),
      (error: unknown) =>
        error instanceof InvalidCalendarError &&
        error.field === 'workdays[0].date' &&
        error.message.includes(join(dir, '2027.json')) &&
        /Saturday or Sunday/.test(error.message),
    );
  });

  it('throws for a directory that does not exist', () => {
    assert.throws(() => loadCalendarDirectory(join(root, 'missing')), /ENOENT/);
  });
});
