/**
 * A payment provider (WeChat Pay, Alipay, UnionPay … or the sandbox) as the platform sees it.
 * Every call is idempotent on the merchant's ids (our payment id, our refund id).
 */
export interface CreatePaymentRequest {
  paymentId: string;
  amountFen: number;
  description: string;
  /** Where the provider sends its signed notification. */
  notifyUrl: string;
}

export type ProviderPaymentState =
  | { status: 'open' }
  | { status: 'paid'; providerRef: string; amountFen: number; paidAt: string }
  | { status: 'closed' }
  | { status: 'unknown' };

export type RefundOutcome = { status: 'confirmed'; confirmedAt: string } | { status: 'failed'; reason: string };

export interface StatementEntry {
  kind: 'payment' | 'refund';
  /** Our payment id or refund id. */
  reference: string;
  paymentId: string;
  amountFen: number;
  at: string;
}

export abstract class PaymentProvider {
  abstract readonly name: string;
  abstract createPayment(request: CreatePaymentRequest): Promise<{ providerRef: string; payUrl: string }>;
  abstract queryPayment(paymentId: string): Promise<ProviderPaymentState>;
  /** Closes an unpaid payment; when it was paid meanwhile the answer says so (nothing closed). */
  abstract closePayment(paymentId: string): Promise<ProviderPaymentState>;
  abstract refund(request: { refundId: string; paymentId: string; amountFen: number }): Promise<RefundOutcome>;
  abstract queryRefund(refundId: string): Promise<RefundOutcome | { status: 'unknown' }>;
  /** Every payment and refund of a China business date (YYYY-MM-DD). */
  abstract dailyStatement(date: string): Promise<StatementEntry[]>;
}

/** China business day boundaries of a date (UTC+8, no daylight saving). */
export function chinaDayRange(date: string): { from: Date; to: Date } {
  const from = new Date(`${date}T00:00:00+08:00`);
  return { from, to: new Date(from.getTime() + 24 * 3600_000) };
}

export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
