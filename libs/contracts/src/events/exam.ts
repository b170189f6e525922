/**
 * Events of the exam domain (registration, seats, orders). Keyed by the order id (orders) so a
 * consumer sees an order's events in order. Data carries no document numbers or phones; the
 * invoice title of a personal invoice is the candidate's name, needed by the payment service to
 * issue it.
 */
export const ExamTopics = {
  /** A candidate confirmed a registration: seats are held and the order awaits payment. */
  OrderPlaced: 'exam.order.placed.v1',
  /** A paid candidate asked for the refund (PY-4); the payment service carries it out. */
  RefundRequested: 'exam.refund.requested.v1',
} as const;

export type InvoiceType = 'none' | 'personal' | 'enterprise';
export const INVOICE_TYPES: readonly InvoiceType[] = ['none', 'personal', 'enterprise'];

export interface InvoiceRequest {
  type: InvoiceType;
  /** Personal: the candidate's name; enterprise: the company's name; none: null. */
  title: string | null;
  /** Enterprise only: the unified social credit code (统一社会信用代码). */
  taxId: string | null;
}

export interface OrderLine {
  offeringId: string;
  /** Offering code of the import format (`QMS-1`). */
  code: string;
  subject: string;
  sessionCode: string;
  feeFen: number;
}

export interface OrderPlacedV1 {
  orderId: string;
  registrationId: string;
  /** Business number of the registration (the case in my items). */
  businessNo: string;
  periodId: string;
  periodName: string;
  candidateId: string;
  cityCode: string;
  /** Sum of the lines' fees, integer fen. */
  amountFen: number;
  lines: OrderLine[];
  invoice: InvoiceRequest;
  placedAt: string;
  /** Absolute payment deadline: the seats are released after it unless the order is paid. */
  expiresAt: string;
}

export interface RefundRequestedV1 {
  orderId: string;
  registrationId: string;
  businessNo: string;
  periodId: string;
  candidateId: string;
  amountFen: number;
  requestedAt: string;
}

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const fen = { type: 'integer', minimum: 0, maximum: 100_000_000 } as const;

export const examEventSchemas = {
  [ExamTopics.OrderPlaced]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'registrationId', 'businessNo', 'periodId', 'periodName', 'candidateId', 'cityCode', 'amountFen', 'lines', 'invoice', 'placedAt', 'expiresAt'],
    properties: {
      orderId: uuid,
      registrationId: uuid,
      businessNo: { type: 'string', minLength: 1, maxLength: 14 },
      periodId: uuid,
      periodName: { type: 'string', minLength: 1, maxLength: 200 },
      candidateId: uuid,
      cityCode: { type: 'string', minLength: 1, maxLength: 20 },
      amountFen: fen,
      lines: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['offeringId', 'code', 'subject', 'sessionCode', 'feeFen'],
          properties: {
            offeringId: uuid,
            code: { type: 'string', minLength: 1, maxLength: 40 },
            subject: { type: 'string', minLength: 1, maxLength: 200 },
            sessionCode: { type: 'string', minLength: 1, maxLength: 40 },
            feeFen: fen,
          },
        },
      },
      invoice: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'title', 'taxId'],
        properties: {
          type: { enum: INVOICE_TYPES },
          title: { type: ['string', 'null'], maxLength: 200 },
          taxId: { type: ['string', 'null'], maxLength: 18 },
        },
      },
      placedAt: dateTime,
      expiresAt: dateTime,
    },
  },
  [ExamTopics.RefundRequested]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'registrationId', 'businessNo', 'periodId', 'candidateId', 'amountFen', 'requestedAt'],
    properties: {
      orderId: uuid,
      registrationId: uuid,
      businessNo: { type: 'string', minLength: 1, maxLength: 14 },
      periodId: uuid,
      candidateId: uuid,
      amountFen: fen,
      requestedAt: dateTime,
    },
  },
} as const;

export interface ExamEventData {
  [ExamTopics.OrderPlaced]: OrderPlacedV1;
  [ExamTopics.RefundRequested]: RefundRequestedV1;
}
