import { AUDIT_TYPE_CODES, EDUCATION_LEVEL_CODES, type RecordKind } from '../applications/application-catalogue';
import { CONTACT_PHONE, RECORD_FIELDS, type RecordData } from '../applications/records';
import type { LibraryEducation, LibraryRecord } from './identity-client';

/**
 * How a record of identity's basic info library (ID-11) becomes a record of an application
 * (ADR 0013). The library and the application forms do not have the same columns: what the
 * library lacks stays empty (the submit-readiness check names it), and whatever does not fit the
 * application's rules (an unknown audit type, a malformed date, an over-long text) is left empty
 * rather than refused, so a copy always succeeds and the applicant completes it.
 */

/** Identity's record kinds as the application's (education comes from the profile). */
export const LIBRARY_KIND: Record<RecordKind, string> = {
  education: 'education',
  work: 'work',
  'professional-work': 'professional-work',
  audit: 'audit',
  'continuing-education': 'continuing-education',
};

/** Application field ← library field, per kind (fields not named here stay empty). */
const FIELD_MAP: Record<RecordKind, Record<string, string>> = {
  education: { school: 'school', major: 'major', level: 'level', degree: 'degree', startDate: 'startDate', endDate: 'endDate' },
  work: { employer: 'employer', position: 'position', startDate: 'startDate', endDate: 'endDate', duties: 'duties' },
  'professional-work': { employer: 'organisation', post: 'field', content: 'content', startDate: 'startDate', endDate: 'endDate' },
  audit: { auditee: 'auditee', field: 'standard', auditType: 'auditType', startDate: 'startDate', onSiteDays: 'onSiteDays', role: 'role' },
  'continuing-education': { course: 'course', provider: 'provider', startDate: 'completedOn', hours: 'hours' },
};

const MAX_LENGTH: Record<string, number> = {
  school: 200, major: 100, degree: 50, employer: 200, department: 100, position: 100, post: 100, duties: 500, content: 1000,
  refereeName: 50, auditee: 200, field: 50, role: 50, course: 200, category: 100, provider: 200,
};
const DATE_FIELDS = new Set(['startDate', 'endDate', 'validUntil']);

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function fitValue(field: string, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (DATE_FIELDS.has(field)) return typeof value === 'string' && isCalendarDate(value) ? value : null;
  if (field === 'level') return typeof value === 'string' && (EDUCATION_LEVEL_CODES as readonly string[]).includes(value) ? value : null;
  if (field === 'auditType') return typeof value === 'string' && (AUDIT_TYPE_CODES as readonly string[]).includes(value) ? value : null;
  if (field === 'onSiteDays') return typeof value === 'number' && value >= 0.5 && value <= 365 && Number.isInteger(value * 2) ? value : null;
  if (field === 'hours') return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1000 ? value : null;
  if (field === 'refereePhone') return typeof value === 'string' && CONTACT_PHONE.test(value) ? value : null;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed.length === 0) return null;
  return trimmed.slice(0, MAX_LENGTH[field] ?? 200);
}

/** The application record made from a library record of the same kind. */
export function recordFromLibrary(kind: RecordKind, source: LibraryEducation | LibraryRecord): RecordData {
  const map = FIELD_MAP[kind];
  const data: RecordData = {};
  const values = source as unknown as Record<string, unknown>;
  for (const field of RECORD_FIELDS[kind]) {
    const from = map[field];
    data[field] = from ? fitValue(field, values[from]) : null;
  }
  // A period that ends before it starts is not kept as such: the end is left for the applicant.
  const endField = kind === 'continuing-education' ? 'validUntil' : 'endDate';
  if (typeof data.startDate === 'string' && typeof data[endField] === 'string' && (data[endField] as string) < data.startDate) data[endField] = null;
  return data;
}
