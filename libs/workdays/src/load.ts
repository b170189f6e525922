// Loads year calendars from a directory configured by ops (e.g. next year's calendar, published
// by the State Council in the autumn, added without a release). Uses node:fs, so it lives apart
// from the pure calendar code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidCalendarError } from './errors';
import { parseYearCalendar, type YearCalendar } from './year-calendar';

const YEAR_FILE = /^(\d{4})\.json$/;

/**
 * Reads every `<year>.json` file of `dir`, validates each with `parseYearCalendar` and returns
 * them sorted by year. The year inside a file must equal its file name. Files that do not end in
 * `.json` are ignored (a README, say); a `.json` file not named `<year>.json` is an error, so a
 * misnamed calendar is not silently skipped.
 *
 * Typical use: `WorkCalendar.builtIn().withYears(loadCalendarDirectory(dir))` (the directory
 * overrides built-in years).
 *
 * @throws InvalidCalendarError for a misnamed file, invalid JSON or an invalid calendar.
 */
export function loadCalendarDirectory(dir: string): YearCalendar[] {
  const calendars: YearCalendar[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.toLowerCase().endsWith('.json')) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const match = YEAR_FILE.exec(name);
    if (match === null) throw new InvalidCalendarError('$', 'calendar files must be named <year>.json, e.g. 2027.json', path);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new InvalidCalendarError('$', `not valid JSON (${error instanceof Error ? error.message : String(error)})`, path);
    }
    const calendar = parseYearCalendar(json, path);
    if (calendar.year !== Number(match[1])) {
      throw new InvalidCalendarError('year', `${calendar.year} does not match the file name ${name}`, path);
    }
    calendars.push(calendar);
  }
  return calendars;
}
