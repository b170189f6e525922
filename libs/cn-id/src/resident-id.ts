import { EARLIEST_BIRTH_DATE, chinaToday, formatIsoDate, isCalendarDate } from './birth-date';
import { computeCheckCharacter } from './check-character';
import { isKnownProvinceCode } from './region';

/**
 * Resident ID numbers (公民身份号码) per GB 11643-1999 (SPEC ID-2):
 *
 * | positions | content                                   |
 * |-----------|-------------------------------------------|
 * | 1–6       | region code (GB/T 2260), province = 1–2   |
 * | 7–14      | birth date `YYYYMMDD`                     |
 * | 15–17     | sequence; the 17th digit odd = male       |
 * | 18        | ISO 7064 MOD 11-2 check character, 0–9/X  |
 *
 * Legacy 15-digit numbers (GB 11643-1989) have a 2-digit year (century 19) and
 * no check character; they are upgraded to 18 characters.
 */

export type Gender = 'male' | 'female';

export interface ResidentId {
  /** The 18-character number, check character upper-case. */
  number18: string;
  /** 6-digit region code, e.g. `110105`. */
  regionCode: string;
  /** 2-digit province prefix, e.g. `11`. */
  provinceCode: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  gender: Gender;
  /** True when the input was a legacy 15-digit number. */
  upgradedFrom15: boolean;
}

/**
 * Why a number was refused, checked in this order:
 * - `LENGTH`: not 15 or 18 characters after trimming;
 * - `CHARACTERS`: anything but digits (and a final `X`/`x` for 18 characters);
 * - `REGION`: unknown province prefix;
 * - `BIRTH_DATE`: not a calendar date, or before 1900-01-01;
 * - `BIRTH_DATE_FUTURE`: after today's date in China;
 * - `CHECKSUM`: wrong check character (18-character numbers only).
 */
export type ResidentIdFailureReason =
  | 'LENGTH'
  | 'CHARACTERS'
  | 'REGION'
  | 'BIRTH_DATE'
  | 'BIRTH_DATE_FUTURE'
  | 'CHECKSUM';

export type ResidentIdParseResult =
  | { ok: true; value: ResidentId }
  | { ok: false; reason: ResidentIdFailureReason };

const FIFTEEN_DIGITS = /^\d{15}$/;
const EIGHTEEN_CHARACTERS = /^\d{17}[\dX]$/;

/**
 * Upgrades a legacy 15-digit number: inserts the century `19` before the 2-digit
 * year and appends the computed check character. Structural only: the region
 * and date are not validated here (use {@link parseResidentId}).
 * @throws RangeError when `n15` is not exactly 15 digits.
 */
export function upgrade15To18(n15: string): string {
  const trimmed = typeof n15 === 'string' ? n15.trim() : '';
  if (!FIFTEEN_DIGITS.test(trimmed)) {
    throw new RangeError('upgrade15To18 expects exactly 15 digits');
  }
  const first17 = `${trimmed.slice(0, 6)}19${trimmed.slice(6)}`;
  return first17 + computeCheckCharacter(first17);
}

/**
 * Parses and validates a resident ID number. Input is trimmed; a final `x` is
 * accepted and stored as `X`.
 * @param now the current instant; birth dates after today's date in China are refused.
 */
export function parseResidentId(input: string, now: Date = new Date()): ResidentIdParseResult {
  const trimmed = typeof input === 'string' ? input.trim().toUpperCase() : '';
  if (trimmed.length !== 15 && trimmed.length !== 18) {
    return { ok: false, reason: 'LENGTH' };
  }
  const upgradedFrom15 = trimmed.length === 15;
  if (upgradedFrom15 ? !FIFTEEN_DIGITS.test(trimmed) : !EIGHTEEN_CHARACTERS.test(trimmed)) {
    return { ok: false, reason: 'CHARACTERS' };
  }
  const first17 = upgradedFrom15 ? `${trimmed.slice(0, 6)}19${trimmed.slice(6)}` : trimmed.slice(0, 17);

  const regionCode = first17.slice(0, 6);
  const provinceCode = first17.slice(0, 2);
  if (!isKnownProvinceCode(provinceCode)) {
    return { ok: false, reason: 'REGION' };
  }

  const year = Number(first17.slice(6, 10));
  const month = Number(first17.slice(10, 12));
  const day = Number(first17.slice(12, 14));
  if (!isCalendarDate(year, month, day)) {
    return { ok: false, reason: 'BIRTH_DATE' };
  }
  const birthDate = formatIsoDate(year, month, day);
  // ISO dates of equal length compare correctly as strings.
  if (birthDate < EARLIEST_BIRTH_DATE) {
    return { ok: false, reason: 'BIRTH_DATE' };
  }
  if (birthDate > chinaToday(now)) {
    return { ok: false, reason: 'BIRTH_DATE_FUTURE' };
  }

  const checkCharacter = computeCheckCharacter(first17);
  if (!upgradedFrom15 && trimmed[17] !== checkCharacter) {
    return { ok: false, reason: 'CHECKSUM' };
  }

  return {
    ok: true,
    value: {
      number18: first17 + checkCharacter,
      regionCode,
      provinceCode,
      birthDate,
      gender: (first17.charCodeAt(16) - 48) % 2 === 1 ? 'male' : 'female',
      upgradedFrom15,
    },
  };
}

/** Shorthand for `parseResidentId(input, now).ok`. */
export function isValidResidentId(input: string, now: Date = new Date()): boolean {
  return parseResidentId(input, now).ok;
}
