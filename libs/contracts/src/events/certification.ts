/**
 * Events of the certification domain besides its case events: a certificate was issued
 * (CE-3). Keyed by the person's account id. No personal data: ids and codes only.
 */
export const CertificationTopics = {
  /** A registration certificate was issued: identity grants the person the `certified` role (ADR 0016). */
  CertificateIssued: 'certification.certificate.issued.v1',
} as const;

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
} as const;

export interface CertificationEventData {
  [CertificationTopics.CertificateIssued]: CertificateIssuedV1;
}
