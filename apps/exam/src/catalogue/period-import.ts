import { ExamErrors } from '../exam.errors';

/** A whole exam period in the import format (`shared/data/exam-period-2021-2.json`), checked. */
export interface PeriodImport {
  code: string;
  name: string;
  registrationOpensAt: Date;
  registrationClosesAt: Date;
  refundWindow: { opensAt: Date; closesAt: Date };
  ticketPrintWindow: { opensAt: Date; closesAt: Date } | null;
  paymentTimeoutMinutes: number;
  requiresQualificationReview: boolean;
  sessions: Array<{ code: string; startsAt: Date; endsAt: Date; offerings: Array<{ code: string; subject: string; feeFen: number }> }>;
  cities: Array<{ code: string; name: string; seats: Map<string, number> }>;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const MAX_FEN = 100_000_000;
const MAX_SEATS = 1_000_000;

type Json = Record<string, unknown>;

function invalid(field: string, en: string, zh: string): never {
  throw ExamErrors.error('EXAM_PERIOD_INVALID', { field, en: `${field}: ${en}`, zh: `${field}：${zh}` });
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(field, 'must be an object.', '应为对象。');
  return value as Json;
}

function onlyKeys(obj: Json, field: string, allowed: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) invalid(field ? `${field}.${key}` : key, 'unknown field.', '未知字段。');
  }
}

function text(value: unknown, field: string, max = 200): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) invalid(field, `must be a non-empty text of at most ${max} characters.`, `应为不超过${max}个字符的非空文本。`);
  return value.trim();
}

function code(value: unknown, field: string): string {
  if (typeof value !== 'string' || !CODE.test(value)) invalid(field, 'must be a code of letters, digits, - and _ (at most 40).', '应为由字母、数字、-、_组成的代码（最多40位）。');
  return value;
}

function instant(value: unknown, field: string): Date {
  // ISO 8601 with an explicit offset or Z: a time without zone would depend on the server.
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    invalid(field, 'must be an ISO 8601 time with an offset.', '应为带时区的 ISO 8601 时间。');
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) invalid(field, 'is not a real time.', '不是有效时间。');
  return at;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalid(field, `must be an integer from ${min} to ${max}.`, `应为${min}至${max}之间的整数。`);
  return value;
}

function array(value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) invalid(field, `must be a list of ${min} to ${max} entries.`, `应为${min}至${max}项的列表。`);
  return value;
}

function window(value: unknown, field: string): { opensAt: Date; closesAt: Date } {
  const w = object(value, field);
  onlyKeys(w, field, ['opensAt', 'closesAt']);
  const opensAt = instant(w.opensAt, `${field}.opensAt`);
  const closesAt = instant(w.closesAt, `${field}.closesAt`);
  if (closesAt <= opensAt) invalid(`${field}.closesAt`, 'must be after opensAt.', '应晚于开始时间。');
  return { opensAt, closesAt };
}

/**
 * Checks an import strictly and names the field at fault: codes unique, windows in order, fees
 * and seats non-negative integers, every `seats` key an offering of the period.
 */
export function parsePeriodImport(body: unknown): PeriodImport {
  const root = object(body, 'body');
  onlyKeys(root, '', [
    'code', 'name', 'registrationOpensAt', 'registrationClosesAt', 'refundWindow', 'ticketPrintWindow', 'paymentTimeoutMinutes',
    'feeFenPerSubject', 'requiresQualificationReview', 'sessions', 'cities',
  ]);
  const periodCode = code(root.code, 'code');
  const name = text(root.name, 'name');
  const registrationOpensAt = instant(root.registrationOpensAt, 'registrationOpensAt');
  const registrationClosesAt = instant(root.registrationClosesAt, 'registrationClosesAt');
  if (registrationClosesAt <= registrationOpensAt) invalid('registrationClosesAt', 'must be after registrationOpensAt.', '应晚于报名开始时间。');
  const refundWindow = window(root.refundWindow, 'refundWindow');
  if (refundWindow.opensAt < registrationOpensAt) invalid('refundWindow.opensAt', 'must not be before registration opens.', '不能早于报名开始时间。');
  const ticketPrintWindow = root.ticketPrintWindow === undefined || root.ticketPrintWindow === null ? null : window(root.ticketPrintWindow, 'ticketPrintWindow');
  if (ticketPrintWindow && ticketPrintWindow.opensAt < registrationClosesAt) {
    invalid('ticketPrintWindow.opensAt', 'must not be before registration closes.', '不能早于报名截止时间。');
  }
  const paymentTimeoutMinutes = integer(root.paymentTimeoutMinutes ?? 30, 'paymentTimeoutMinutes', 1, 24 * 60);
  const defaultFee = integer(root.feeFenPerSubject ?? 8000, 'feeFenPerSubject', 0, MAX_FEN);
  if (root.requiresQualificationReview !== undefined && typeof root.requiresQualificationReview !== 'boolean') {
    invalid('requiresQualificationReview', 'must be true or false.', '应为 true 或 false。');
  }

  const sessionCodes = new Set<string>();
  const offeringCodes = new Set<string>();
  const sessions = array(root.sessions, 'sessions', 1, 50).map((raw, i) => {
    const f = `sessions[${i}]`;
    const s = object(raw, f);
    onlyKeys(s, f, ['code', 'startsAt', 'endsAt', 'offerings']);
    const sessionCode = code(s.code, `${f}.code`);
    if (sessionCodes.has(sessionCode)) invalid(`${f}.code`, 'is used twice.', '重复。');
    sessionCodes.add(sessionCode);
    const startsAt = instant(s.startsAt, `${f}.startsAt`);
    const endsAt = instant(s.endsAt, `${f}.endsAt`);
    if (endsAt <= startsAt) invalid(`${f}.endsAt`, 'must be after startsAt.', '应晚于开始时间。');
    if (startsAt < registrationClosesAt) invalid(`${f}.startsAt`, 'must not be before registration closes.', '不能早于报名截止时间。');
    const offerings = array(s.offerings, `${f}.offerings`, 1, 50).map((rawO, j) => {
      const g = `${f}.offerings[${j}]`;
      const o = object(rawO, g);
      onlyKeys(o, g, ['code', 'subject', 'feeFen']);
      const offeringCode = code(o.code, `${g}.code`);
      if (offeringCodes.has(offeringCode)) invalid(`${g}.code`, 'offering codes must be unique within the period.', '科目代码在本批次内须唯一。');
      offeringCodes.add(offeringCode);
      return { code: offeringCode, subject: text(o.subject, `${g}.subject`), feeFen: o.feeFen === undefined ? defaultFee : integer(o.feeFen, `${g}.feeFen`, 0, MAX_FEN) };
    });
    return { code: sessionCode, startsAt, endsAt, offerings };
  });

  const cityCodes = new Set<string>();
  const cities = array(root.cities, 'cities', 1, 500).map((raw, i) => {
    const f = `cities[${i}]`;
    const c = object(raw, f);
    onlyKeys(c, f, ['code', 'name', 'seatsPerOffering', 'seats']);
    const cityCode = code(c.code, `${f}.code`);
    if (cityCodes.has(cityCode)) invalid(`${f}.code`, 'is used twice.', '重复。');
    cityCodes.add(cityCode);
    const perOffering = integer(c.seatsPerOffering, `${f}.seatsPerOffering`, 0, MAX_SEATS);
    const seats = new Map<string, number>([...offeringCodes].map((o) => [o, perOffering]));
    if (c.seats !== undefined) {
      const overrides = object(c.seats, `${f}.seats`);
      for (const [key, value] of Object.entries(overrides)) {
        if (!offeringCodes.has(key)) invalid(`${f}.seats.${key}`, 'is not an offering code of this period.', '不是本批次的科目代码。');
        seats.set(key, integer(value, `${f}.seats.${key}`, 0, MAX_SEATS));
      }
    }
    return { code: cityCode, name: text(c.name, `${f}.name`, 100), seats };
  });

  return {
    code: periodCode,
    name,
    registrationOpensAt,
    registrationClosesAt,
    refundWindow,
    ticketPrintWindow,
    paymentTimeoutMinutes,
    requiresQualificationReview: root.requiresQualificationReview === true,
    sessions,
    cities,
  };
}
