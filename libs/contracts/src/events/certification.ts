/**
 * Events of the certification domain besides its case events: a certificate was issued (CE-3)
 * or cancelled (CE-8), a person changed practising institution (CE-5), a person was appointed
 * expert (CE-8). Keyed by the person's account id. No personal data: ids and codes only.
 */
export const CertificationTopics = {
  /** A registration certificate was issued: identity grants the person the `certified` role (ADR 0016). */
  CertificateIssued: 'certification.certificate.issued.v1',
  /** A certificate was cancelled at the holder's request: identity drops `certified` when no valid certificate is left. */
  CertificateCancelled: 'certification.certificate.cancelled.v1',
  /** A transfer of practising institution was approved: identity moves the person's account to the new institution. */
  PersonTransferred: 'certification.person.transferred.v1',
  /** An expert application was approved: identity grants the `expert` role. */
  ExpertAppointed: 'certification.expert.appointed.v1',
} as const;

export interface CertificateCancelledV1 {
  certificateId: string;
  certificateNo: string;
  personId: string;
  caseId: string;
  cancelledAt: string;
  /** Whether the person still holds another valid certificate (then `certified` stays). */
  stillCertified: boolean;
}

export interface PersonTransferredV1 {
  personId: string;
  caseId: string;
  fromInstitutionId: string | null;
  toInstitutionId: string;
  /** The person's certificates now under the new institution. */
  certificateIds: string[];
  transferredAt: string;
}

export interface ExpertAppointedV1 {
  personId: string;
  caseId: string;
  /** Professional fields the expert evaluates. */
  fields: string[];
  appointedAt: string;
}

export interface CertificateIssuedV1 {
  certificateId: string;
  certificateNo: string;
  /** The certified person's account. */
  personId: string;
  applicationId: string;
  applicationType: string;
  grade: string;
  field: string;
  institutionId: string | null;
  issuedAt: string;
  validUntil: string;
}

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const code = { type: 'string', minLength: 1, maxLength: 60 } as const;

export const certificationEventSchemas = {
  [CertificationTopics.CertificateIssued]: {
    type: 'object',
    additionalProperties: false,
    required: ['certificateId', 'certificateNo', 'personId', 'applicationId', 'applicationType', 'grade', 'field', 'institutionId', 'issuedAt', 'validUntil'],
    properties: {
      certificateId: uuid,
      certificateNo: code,
      personId: uuid,
      applicationId: uuid,
      applicationType: code,
      grade: code,
      field: code,
      institutionId: { type: ['string', 'null'], format: 'uuid' },
      issuedAt: dateTime,
      validUntil: dateTime,
    },
  },
  [CertificationTopics.CertificateCancelled]: {
    type: 'object',
    additionalProperties: false,
    required: ['certificateId', 'certificateNo', 'personId', 'caseId', 'cancelledAt', 'stillCertified'],
    properties: { certificateId: uuid, certificateNo: code, personId: uuid, caseId: uuid, cancelledAt: dateTime, stillCertified: { type: 'boolean' } },
  },
  [CertificationTopics.PersonTransferred]: {
    type: 'object',
    additionalProperties: false,
    required: ['personId', 'caseId', 'fromInstitutionId', 'toInstitutionId', 'certificateIds', 'transferredAt'],
    properties: {
      personId: uuid,
      caseId: uuid,
      fromInstitutionId: { type: ['string', 'null'], format: 'uuid' },
      toInstitutionId: uuid,
      certificateIds: { type: 'array', items: uuid, maxItems: 100 },
      transferredAt: dateTime,
    },
  },
  [CertificationTopics.ExpertAppointed]: {
    type: 'object',
    additionalProperties: false,
    required: ['personId', 'caseId', 'fields', 'appointedAt'],
    properties: { personId: uuid, caseId: uuid, fields: { type: 'array', items: code, maxItems: 20 }, appointedAt: dateTime },
  },
} as const;

export interface CertificationEventData {
  [CertificationTopics.CertificateIssued]: CertificateIssuedV1;
  [CertificationTopics.CertificateCancelled]: CertificateCancelledV1;
  [CertificationTopics.PersonTransferred]: PersonTransferredV1;
  [CertificationTopics.ExpertAppointed]: ExpertAppointedV1;
}
