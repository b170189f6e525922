/**
 * Events of the payment domain: what became of an order (PY-1 … PY-4). Keyed by the order id.
 * Amounts are integer fen.
 */
export const PaymentTopics = {
  /** Verified as paid (a signed notification or a status query, never the browser's return). */
  OrderPaid: 'payment.order.paid.v1',
  /** Unpaid at its deadline (the provider was asked first): its seats are to be released. */
  OrderExpired: 'payment.order.expired.v1',
  /** Cancelled by the candidate before payment: its seats are to be released. */
  OrderCancelled: 'payment.order.cancelled.v1',
  /** The refund of a paid order was confirmed by the provider. */
  OrderRefunded: 'payment.order.refunded.v1',
} as const;

export interface OrderPaidV1 {
  orderId: string;
  paymentId: string;
  provider: string;
  amountFen: number;
  paidAt: string;
}

export interface OrderExpiredV1 {
  orderId: string;
  expiredAt: string;
}

export interface OrderCancelledV1 {
  orderId: string;
  cancelledAt: string;
  /** Who cancelled: the candidate's account id. */
  cancelledBy: string;
}

export interface OrderRefundedV1 {
  orderId: string;
  refundId: string;
  amountFen: number;
  refundedAt: string;
  /** `requested`: the candidate's refund (PY-4); `late-payment`: a payment that arrived for an expired or cancelled order (PY-2). */
  reason: 'requested' | 'late-payment';
}

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const fen = { type: 'integer', minimum: 0, maximum: 100_000_000 } as const;

export const paymentEventSchemas = {
  [PaymentTopics.OrderPaid]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'paymentId', 'provider', 'amountFen', 'paidAt'],
    properties: { orderId: uuid, paymentId: uuid, provider: { type: 'string', minLength: 1, maxLength: 40 }, amountFen: fen, paidAt: dateTime },
  },
  [PaymentTopics.OrderExpired]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'expiredAt'],
    properties: { orderId: uuid, expiredAt: dateTime },
  },
  [PaymentTopics.OrderCancelled]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'cancelledAt', 'cancelledBy'],
    properties: { orderId: uuid, cancelledAt: dateTime, cancelledBy: uuid },
  },
  [PaymentTopics.OrderRefunded]: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'refundId', 'amountFen', 'refundedAt', 'reason'],
    properties: { orderId: uuid, refundId: uuid, amountFen: fen, refundedAt: dateTime, reason: { enum: ['requested', 'late-payment'] } },
  },
} as const;

export interface PaymentEventData {
  [PaymentTopics.OrderPaid]: OrderPaidV1;
  [PaymentTopics.OrderExpired]: OrderExpiredV1;
  [PaymentTopics.OrderCancelled]: OrderCancelledV1;
  [PaymentTopics.OrderRefunded]: OrderRefundedV1;
}
