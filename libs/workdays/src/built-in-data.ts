// The official calendars shipped with the library. They are validated by parseYearCalendar when
// WorkCalendar.builtIn() first runs. tsc emits these JSON files next to the compiled code
// (resolveJsonModule), so the compiled require('./data/2026.json') finds them in dist.
import calendar2024 from './data/2024.json';
import calendar2025 from './data/2025.json';
import calendar2026 from './data/2026.json';

export const BUILT_IN_CALENDAR_DATA: readonly unknown[] = [calendar2024, calendar2025, calendar2026];
