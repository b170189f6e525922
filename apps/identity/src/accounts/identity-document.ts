import { parseResidentId } from '@certhub/cn-id';
import { IdentityErrors } from '../identity.errors';
import type { IdType } from './account.entity';

export interface NormalisedDocument {
  idType: IdType;
  idNumber: string;
  gender: 'male' | 'female' | null;
  birthDate: string | null;
}

const OTHER_DOCUMENTS: Record<Exclude<IdType, 'resident-id'>, RegExp> = {
  'military-officer': /^[\p{Script=Han}A-Z0-9]{6,20}$/u,
  passport: /^[A-Z0-9]{5,17}$/,
  'hk-macau-permit': /^[HM]\d{8,10}$/,
  'taiwan-permit': /^\d{8}$|^[A-Z0-9]{10}$/,
};

const REASON_CODES = {
  LENGTH: 'IDENTITY_ID_NUMBER_LENGTH',
  CHARACTERS: 'IDENTITY_ID_NUMBER_CHARACTERS',
  REGION: 'IDENTITY_ID_NUMBER_REGION',
  BIRTH_DATE: 'IDENTITY_ID_NUMBER_BIRTH_DATE',
  BIRTH_DATE_FUTURE: 'IDENTITY_ID_NUMBER_BIRTH_DATE_FUTURE',
  CHECKSUM: 'IDENTITY_ID_NUMBER_CHECKSUM',
} as const;

/**
 * Validates and normalises a document number. Resident ID numbers follow GB 11643 (ID-2):
 * legacy 15-digit numbers are upgraded, `x` is stored upper-case, gender and birth date derived.
 */
export function normaliseDocument(idType: IdType, raw: string, field = 'idNumber'): NormalisedDocument {
  if (idType === 'resident-id') {
    const parsed = parseResidentId(raw);
    if (!parsed.ok) throw IdentityErrors.error(REASON_CODES[parsed.reason], { field });
    return { idType, idNumber: parsed.value.number18, gender: parsed.value.gender, birthDate: parsed.value.birthDate };
  }
  const value = raw.trim().toUpperCase();
  if (!OTHER_DOCUMENTS[idType].test(value)) throw IdentityErrors.error('IDENTITY_DOCUMENT_NUMBER_INVALID', { field });
  return { idType, idNumber: value, gender: null, birthDate: null };
}
