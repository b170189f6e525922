import { EARLIEST_BIRTH_DATE, formatIsoDate, isCalendarDate } from './birth-date';
import { computeCheckCharacter } from './check-character';
import { isKnownProvinceCode } from './region';
import type { Gender } from './resident-id';

export interface GenerateResidentIdOptions {
  /** 6-digit region code with a known province prefix; default `110105` (Beijing Chaoyang). */
  region?: string;
  /** `YYYY-MM-DD` or a Date (its UTC calendar day); default `1990-01-01`. */
  birthDate?: string | Date;
  /** Sequence 0–999 (3 digits). Default: 1 for male, 2 for female. */
  sequence?: number;
  /** Must agree with the sequence's parity when both are given; default male. */
  gender?: Gender;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SIX_DIGITS = /^\d{6}$/;

/**
 * Builds a valid 18-character resident ID number, for tests and seed data.
 * The birth date is not compared with today, so future-dated numbers can be
 * generated to test that they are refused.
 * @throws RangeError on an unknown province, an impossible date, a sequence
 *   outside 0–999 or a gender that contradicts the sequence.
 */
export function generateResidentId(options: GenerateResidentIdOptions = {}): string {
  const region = options.region ?? '110105';
  if (!SIX_DIGITS.test(region) || !isKnownProvinceCode(region.slice(0, 2))) {
    throw new RangeError(`generateResidentId: invalid region code ${JSON.stringify(region)}`);
  }

  const birthDate = toIsoDate(options.birthDate ?? '1990-01-01');

  let sequence = options.sequence;
  if (sequence === undefined) {
    sequence = options.gender === 'female' ? 2 : 1;
  }
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) {
    throw new RangeError(`generateResidentId: sequence must be an integer 0–999, got ${sequence}`);
  }
  const sequenceGender: Gender = sequence % 2 === 1 ? 'male' : 'female';
  if (options.gender !== undefined && options.gender !== sequenceGender) {
    throw new RangeError(`generateResidentId: sequence ${sequence} is ${sequenceGender}, not ${options.gender}`);
  }

  const first17 = region + birthDate.replace(/-/g, '') + String(sequence).padStart(3, '0');
  return first17 + computeCheckCharacter(first17);
}

function toIsoDate(value: string | Date): string {
  let year: number;
  let month: number;
  let day: number;
  if (value instanceof Date) {
    year = value.getUTCFullYear();
    month = value.getUTCMonth() + 1;
    day = value.getUTCDate();
  } else {
    const match = ISO_DATE.exec(value);
    if (!match) {
      throw new RangeError(`generateResidentId: birthDate must be YYYY-MM-DD, got ${JSON.stringify(value)}`);
    }
    year = Number(match[1]);
    month = Number(match[2]);
    day = Number(match[3]);
  }
  if (!isCalendarDate(year, month, day) || year > 9999) {
    throw new RangeError(`generateResidentId: ${String(value)} is not a calendar date`);
  }
  const iso = formatIsoDate(year, month, day);
  if (iso < EARLIEST_BIRTH_DATE) {
    throw new RangeError(`generateResidentId: birth dates before ${EARLIEST_BIRTH_DATE} are not valid`);
  }
  return iso;
}
